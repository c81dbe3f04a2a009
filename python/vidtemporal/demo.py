"""A short tour of temporal shift: shift a clip, stream it frame by frame, and train a tiny
network with and without TSM on a task that single frames cannot solve.

    python -m vidtemporal demo [--steps N] [--seed S]
"""
import argparse
import time

import numpy as np

import vidtemporal as vt

def show_shift():
    print("1) temporal_shift on one clip: T=4 frames, C=8 channels, fold_div=4 (fold=2), 1x1 pixels.")
    print("   value = 10*t + channel; channels 0-1 read the next frame, 2-3 the previous, 4-7 stay.")
    x = (10 * np.arange(4)[:, None] + np.arange(8)[None, :]).astype(np.float32).reshape(4, 8, 1, 1)
    y = vt.temporal_shift(x, num_segments=4, fold_div=4)
    for t in range(4):
        print(f"   t={t}  in {x[t].ravel().astype(int)}  ->  out {y[t].ravel().astype(int)}")


def show_stream():
    print("\n2) TemporalShiftStream: live video, one frame at a time (online TSM).")
    rng = np.random.default_rng(0)
    clip = rng.standard_normal((8, 64, 14, 14), dtype=np.float32)
    offline = vt.temporal_shift(clip, 8, mode="unidirectional")
    stream = vt.TemporalShiftStream(fold_div=8)
    start = time.perf_counter()
    streamed = np.concatenate([stream.step(clip[t:t + 1]) for t in range(8)])
    ms = (time.perf_counter() - start) * 1e3 / 8
    same = np.array_equal(streamed, offline)
    print(f"   8 steps of (1, 64, 14, 14): {ms:.3f} ms per frame; equal to the offline unidirectional shift: {same}")
    assert same


def moving_squares(count, t, size, rng):
    """Clips where a 3x3 square moves one pixel per frame in one of four directions, over noise.
    Every position appears for every direction, so one frame says nothing about the class."""
    clips = rng.normal(0.0, 0.3, (count, t, 1, size, size)).astype(np.float32)
    labels = rng.integers(0, 4, count)
    steps = {0: (0, 1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}
    for i, label in enumerate(labels):
        dy, dx = steps[label]
        y0 = rng.integers(0, size - 3 - (t - 1) * abs(dy) + 1) + (t - 1) * max(0, -dy)
        x0 = rng.integers(0, size - 3 - (t - 1) * abs(dx) + 1) + (t - 1) * max(0, -dx)
        for f in range(t):
            y, x = y0 + f * dy, x0 + f * dx
            clips[i, f, 0, y:y + 3, x:x + 3] += 1.0
    return clips.reshape(count * t, 1, size, size), labels


def train(temporal, data, steps, t, seed):
    import torch
    from torch import nn

    import vidtemporal.torch as vtt

    torch.manual_seed(seed)

    def conv(cin, cout, stride):
        layer = nn.Conv2d(cin, cout, 3, stride, 1)
        return vtt.TemporalShift(layer, num_segments=t, fold_div=4) if temporal else layer

    net = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1), nn.ReLU(), conv(16, 32, 2), nn.ReLU(), conv(32, 32, 2), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten())
    head = nn.Linear(32, 4)
    params = list(net.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=3e-3)
    (x_train, y_train), (x_val, y_val) = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]

    def logits(x):
        features = net(x).view(-1, t, 32).mean(1)  # TSN consensus: average over frames
        return head(features)

    batch = 32
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(y_train), batch)
        frames = x_train.view(len(y_train), t, 1, *x_train.shape[-2:])[idx].reshape(-1, 1, *x_train.shape[-2:])
        loss = nn.functional.cross_entropy(logits(frames), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return (logits(x_val).argmax(1) == y_val).float().mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidtemporal demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"vidtemporal {vt.__version__}, {vt.get_num_threads()} threads\n")
    show_shift()
    show_stream()
    try:
        import torch
    except ImportError:
        print("\n3) skipped: the training part needs torch (pip install torch)")
        return {}
    t, size = 8, 16
    rng = np.random.default_rng(args.seed)
    data = [moving_squares(2000, t, size, rng), moving_squares(400, t, size, rng)]
    print(f"\n3) Train the same tiny CNN for {args.steps} steps on moving squares (4 directions, T={t}, "
          f"{size}x{size}, noise); frames are averaged at the end (TSN consensus).")
    results = {}
    for name, temporal in [("TSN (no temporal module)", False), ("TSM (vidtemporal.torch.TemporalShift)", True)]:
        start = time.perf_counter()
        results[name] = train(temporal, data, args.steps, t, args.seed)
        print(f"   {name:<40} validation accuracy {results[name]:6.1%}   ({time.perf_counter() - start:.1f} s)")
    print("   chance is 25%: without temporal modelling the network cannot tell the directions apart.")
    return results


if __name__ == "__main__":
    main()
