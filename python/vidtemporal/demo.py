"""A short tour: shift a clip, stream it frame by frame, and train the same tiny network without
a temporal module (TSN) and with each of TSM, TIN, MS and GTA on a task that single frames
cannot solve; then train DAM on synthetic audio-visual events. The results go to
OUTPUT/results.json.

    python -m vidtemporal demo [--quick] [--steps N] [--variants tsn,tsm,...] [--output DIR] [--ddp N] [--seed S]
"""
import argparse
import json
import os
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


VARIANTS = {
    "tsn": "TSN (no temporal module)",
    "tsm": "TSM (TemporalShift on the 3x3 convs)",
    "tin": "TIN (TemporalInterlace on the 3x3 convs)",
    "ms": "MS (MotionSqueeze after stage 1)",
    "gta": "GTA (GlobalTemporalAttention after stage 1)",
}


def build(variant, t):
    """The same tiny 2D CNN for every variant; only the temporal module differs.
    Stage 1: 16 channels at full resolution; stages 2-3: strided 3x3 convs to 32 channels."""
    from torch import nn

    import vidtemporal.torch as vtt

    def conv(cin, cout):
        layer = nn.Conv2d(cin, cout, 3, 2, 1)
        if variant == "tsm":
            return vtt.TemporalShift(layer, num_segments=t, fold_div=4)
        if variant == "tin":
            return vtt.TemporalInterlace(cin, t, shift_div=4, groups=2, net=layer)
        return layer

    stage1 = [nn.Conv2d(1, 16, 3, 1, 1), nn.ReLU()]
    if variant == "ms":
        # A softer soft-argmax than the paper's temperature 100: on 16x16 noisy frames it learns
        # in half the steps (95% vs 66% validation accuracy after 150 steps).
        stage1.append(vtt.MotionSqueeze(16, t, reduced=16, patch_size=5, sigma=2.0, temperature=10.0))
    if variant == "gta":
        # Pixel and region GTA only: at this size, spatial self-attention costs 3x the time for
        # no accuracy on this task (the block's spatial=True default is the paper's).
        stage1.append(vtt.GlobalTemporalAttention(16, t, groups=4, regions=4, spatial=False))
    return nn.Sequential(*stage1, conv(16, 32), nn.ReLU(), conv(32, 32), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, 4))


BATCH = 32


def train(variant, data, steps, t, seed, rank=0, world=1):
    """Adam on random batches of 32 clips; returns validation accuracy, parameters, seconds and
    the loss per step. With ``world`` > 1 this is one process of a torch.distributed group: every
    process draws the same global batch and trains on its share of the clips, and
    DistributedDataParallel averages the gradients, so the steps equal single-process training
    on the global batch (up to rounding; BatchNorm statistics are per process, as usual in DDP)."""
    import torch
    import torch.distributed as dist
    from torch import nn

    torch.manual_seed(seed)
    net = model = build(variant, t)
    if world > 1:
        model = nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    (x_train, y_train), (x_val, y_val) = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    size = x_train.shape[-2:]

    def logits(module, frames):
        return module(frames).view(-1, t, 4).mean(1)   # TSN consensus: average the frames' scores

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    for _ in range(steps):
        idx = torch.from_numpy(rng.integers(0, len(y_train), BATCH))
        idx = idx[rank * BATCH // world:(rank + 1) * BATCH // world]   # whole clips: T frames stay together
        frames = x_train.view(len(y_train), t, 1, *size)[idx].reshape(-1, 1, *size)
        loss = nn.functional.cross_entropy(logits(model, frames), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        global_loss = loss.detach().clone()
        if world > 1:
            dist.all_reduce(global_loss)
            global_loss /= world
        losses.append(global_loss.item())
    net.eval()
    with torch.no_grad():
        accuracy = (logits(net, x_val).argmax(1) == y_val).float().mean().item()
    return {"accuracy": accuracy, "parameters": sum(p.numel() for p in net.parameters()),
            "seconds": time.perf_counter() - start, "losses": losses}


def _distributed_process(rank, world, port, queue, args):
    import torch
    import torch.distributed as dist

    # The processes share the machine's cores.
    threads = max(1, (os.cpu_count() or 1) // world)
    torch.set_num_threads(threads)
    vt.set_num_threads(threads)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        result = train(*args, rank=rank, world=world)
        if rank == 0:
            queue.put(result)
    finally:
        dist.destroy_process_group()


def train_distributed(world, variant, data, steps, t, seed):
    """``train`` on ``world`` processes (torch.distributed, gloo backend, CPU); rank 0's result."""
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as probe:   # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    mp.spawn(_distributed_process, args=(world, port, queue, (variant, data, steps, t, seed)), nprocs=world)
    return queue.get()


def train_and_evaluate_dam(steps, seed):
    """DAM on synthetic audio-visual events: cross-modality localisation (A2V, V2A) and event
    localisation on held-out videos, with what chance (or predicting background) would score."""
    import torch

    from . import ave
    from .torch import DualAttentionMatching

    train_videos, test = ave.make_synthetic_ave(600, seed=seed), ave.make_synthetic_ave(200, seed=seed + 1)
    torch.manual_seed(seed)
    model = DualAttentionMatching(num_classes=5)
    start = time.perf_counter()
    ave.train_dam(model, train_videos, steps=steps, seed=seed)
    seconds = time.perf_counter() - start
    t = test["labels"].shape[1]
    results = {"seconds": seconds, "cml_chance": ave.cml_chance(test["lengths"], t),
               "background_only": float((test["labels"] == 0).mean())}
    for direction in ("A2V", "V2A"):
        results[direction] = ave.cml_accuracy(ave.localize_events(model, test, direction), test["starts"],
                                              test["lengths"], t)
    with torch.no_grad():
        p, _, _, ga, gv = model(torch.from_numpy(test["audio"]), torch.from_numpy(test["visual"]),
                                torch.ones(test["labels"].shape))
        classes = model.classify(ga, gv).argmax(1).numpy()
    results["event_localization"] = ave.event_localization_accuracy(p.numpy(), classes, test["labels"],
                                                                    test["classes"])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidtemporal demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="training steps per variant")
    parser.add_argument("--quick", action="store_true", help="a shorter run (fewer steps and clips)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    parser.add_argument("--output", default="vidtemporal-demo", help="directory for results.json")
    parser.add_argument("--ddp", type=int, default=1, metavar="N",
                        help="train each variant on N processes (torch.distributed, gloo)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.ddp < 1 or BATCH % args.ddp:
        parser.error(f"--ddp: N must divide the batch of {BATCH} clips, got {args.ddp}")
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}, expected a subset of {list(VARIANTS)}")
    steps, train_clips = (min(args.steps, 150), 1000) if args.quick else (args.steps, 2000)
    print(f"vidtemporal {vt.__version__}, {vt.get_num_threads()} threads\n")
    show_shift()
    show_stream()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\n3) skipped: the training part needs torch (pip install torch)")
        return {}
    t, size = 8, 16
    rng = np.random.default_rng(args.seed)
    data = [moving_squares(train_clips, t, size, rng), moving_squares(400, t, size, rng)]
    print(f"\n3) Train the same tiny CNN for {steps} steps on moving squares (4 directions, T={t}, "
          f"{size}x{size}, noise) with each temporal module; the frames' scores are averaged (TSN consensus)."
          + (f" Each variant trains on {args.ddp} processes (torch.distributed, gloo)." if args.ddp > 1 else ""))
    results = {}
    for variant in variants:
        if args.ddp > 1:
            results[variant] = train_distributed(args.ddp, variant, data, steps, t, args.seed)
        else:
            results[variant] = train(variant, data, steps, t, args.seed)
        r = results[variant]
        print(f"   {VARIANTS[variant]:<44} accuracy {r['accuracy']:6.1%}   {r['parameters']:>6} parameters"
              f"   {r['seconds']:5.1f} s", flush=True)
    print("   chance is 25%: without temporal modelling the network cannot tell the directions apart.")
    dam_steps = 150 if args.quick else 300
    print(f"\n4) DAM on synthetic audio-visual events (10 segments, 5 classes, off-screen sounds and silent "
          f"objects as distractors): {dam_steps} steps, 200 held-out videos.")
    dam = train_and_evaluate_dam(dam_steps, args.seed)
    print(f"   A2V localisation {dam['A2V']:6.1%}   V2A {dam['V2A']:6.1%}   (chance {dam['cml_chance']:.1%})")
    print(f"   event localisation {dam['event_localization']:6.1%}   (all background {dam['background_only']:.1%})"
          f"   {dam['seconds']:.1f} s")
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "results.json")
    with open(path, "w") as f:
        json.dump({"version": vt.__version__, "seed": args.seed, "steps": steps, "train_clips": train_clips,
                   "validation_clips": 400, "variants": results, "dam": dam}, f, indent=2)
    print(f"   results: {path}")
    return {**results, "dam": dam}


if __name__ == "__main__":
    main()
