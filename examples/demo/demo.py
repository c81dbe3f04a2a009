"""A short tour: shift a clip, stream it frame by frame, and train the same small residual network
without a temporal module (TSN) and with each of TSM, TIN, MS and GTA on clips whose class is only
in the order of their frames; then train DAM on synthetic audio-visual events. Results go to
OUTPUT/results.json, plots to OUTPUT/*.png.

    python examples/demo/demo.py [--quick] [--steps N] [--variants tsn,tsm,...] [--output DIR] [--ddp N] [--seed S]
"""
import argparse
import json
import os
import sys
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


CLASSES = ("moving right", "moving left", "moving down", "moving up", "approaching", "receding", "appearing",
           "disappearing")
SPEED = 2   # pixels per frame
MOVES = {0: (0, SPEED), 1: (0, -SPEED), 2: (SPEED, 0), 3: (-SPEED, 0)}   # class -> (dy, dx) per frame


def temporal_clips(count, t, size, rng):
    """``count`` clips of ``t`` frames of ``size`` x ``size`` pixels -> (frames (count*t, 1, size,
    size) float32, labels (count,)), labels indexing CLASSES.

    One object (a bright square) moves SPEED pixels per frame in one of four directions, grows or
    shrinks by one pixel per frame (approaching, receding) or fades in or out (appearing,
    disappearing): every class is another class played backwards. The classes share their
    per-frame statistics: an object that does not grow keeps one size drawn from the sizes a
    growing one passes through, one that does not fade keeps one brightness drawn from the fading
    levels, so a single frame does not tell the class. Three static squares of the same kinds
    (clutter) and Gaussian noise (std 0.3) complete each clip."""
    sizes = 3 + np.arange(t)                    # approaching: 3, 4, ... pixels
    levels = np.linspace(0.3, 1.0, t)           # appearing: brightness 0.3 ... 1.0
    if size < sizes[-1] + (t - 1) * SPEED:
        raise ValueError(f"temporal_clips: size must be at least {sizes[-1] + (t - 1) * SPEED} for t={t}, got {size}")
    clips = rng.normal(0.0, 0.3, (count, t, size, size)).astype(np.float32)
    labels = rng.integers(0, len(CLASSES), count)
    for i, label in enumerate(labels):
        side = {4: sizes, 5: sizes[::-1]}.get(label, np.full(t, rng.choice(sizes)))
        bright = {6: levels, 7: levels[::-1]}.get(label, np.full(t, rng.choice(levels)))
        dy, dx = MOVES.get(label, (0, 0))
        biggest = side.max()
        # The largest square's top-left corner: its whole path stays inside the frame.
        span_y, span_x = (t - 1) * abs(dy), (t - 1) * abs(dx)
        y0 = rng.integers(0, size - biggest - span_y + 1) + (span_y if dy < 0 else 0)
        x0 = rng.integers(0, size - biggest - span_x + 1) + (span_x if dx < 0 else 0)
        for _ in range(3):
            s, b = rng.choice(sizes), rng.choice(levels)
            cy, cx = rng.integers(0, size - s + 1, 2)
            clips[i, :, cy:cy + s, cx:cx + s] += b
        for f in range(t):
            inset = (biggest - side[f]) // 2    # a growing square keeps its centre
            y, x = y0 + f * dy + inset, x0 + f * dx + inset
            clips[i, f, y:y + side[f], x:x + side[f]] += bright[f]
    return clips.reshape(count * t, 1, size, size), labels


VARIANTS = {
    "tsn": "TSN (no temporal module)",
    "tsm": "TSM (shift before each block's first conv)",
    "tin": "TIN (interlace before each block's first conv)",
    "ms": "MS (MotionSqueeze after stage 2)",
    "gta": "GTA (one GlobalTemporalAttention block after stage 2)",
}


STRIDE = 2   # pixels per feature cell in stages 1 and 2


def build(variant, t):
    """The same small 2D residual network for every variant; only the temporal module differs.
    A stride-2 stem, then three residual stages (16 channels, 32 channels, then 64 at half the
    resolution), global pooling and a linear classifier applied to every frame."""
    from torch import nn

    import vidtemporal.torch as vtt

    class Block(nn.Module):
        """A ResNet basic block; TSM and TIN go before its first conv (the papers' residual
        placement), so the skip path keeps each frame's own features."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            if variant == "tsm":
                conv1 = vtt.TemporalShift(conv1, num_segments=t, fold_div=4)
            elif variant == "tin":
                conv1 = vtt.TemporalInterlace(cin, t, shift_div=4, groups=2, net=conv1)
            self.residual = nn.Sequential(conv1, nn.BatchNorm2d(cout), nn.ReLU(),
                                          nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return nn.functional.relu(self.residual(x) + self.skip(x))

    layers = [nn.Conv2d(1, 16, 3, STRIDE, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), Block(16, 16, 1),
              Block(16, 32, 1)]
    if variant == "ms":
        # Patch 5 covers +-2 cells (+-4 pixels, twice the motion per frame); a softer soft-argmax
        # than the paper's temperature 100 learns faster on frames this small.
        layers.append(vtt.MotionSqueeze(32, t, reduced=16, patch_size=5, sigma=2.0, temperature=10.0))
    if variant == "gta":
        # Pixel and region GTA: on frames this small the spatial self-attention adds time and no
        # accuracy (the block's spatial=True default is the paper's).
        layers.append(vtt.GlobalTemporalAttention(32, t, groups=4, regions=4, spatial=False))
    layers += [Block(32, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, len(CLASSES))]
    return nn.Sequential(*layers)


def _global_batch_norm(module):
    """Every BatchNorm2d in ``module`` normalises with the statistics of the whole global batch:
    float64 sums added over the torch.distributed group (torch's SyncBatchNorm is GPU-only). The
    sum is differentiable, so gradients flow to every process's frames, and N processes train
    like one (up to rounding: float64 statistics here, torch's BatchNorm with one process)."""
    import torch
    import torch.distributed as dist
    from torch import nn

    class GroupSum(torch.autograd.Function):
        """Sum over the processes; its gradient is the sum of the processes' gradients."""

        @staticmethod
        def forward(ctx, x):
            x = x.clone()
            dist.all_reduce(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            grad = grad.clone()
            dist.all_reduce(grad)
            return grad

    class SyncBatchNorm2d(nn.BatchNorm2d):
        def forward(self, x):
            if not self.training:
                return super().forward(x)
            c = x.shape[1]
            count = torch.tensor([x.numel() / c], dtype=torch.float64)
            stats = GroupSum.apply(torch.cat([count, x.double().sum((0, 2, 3)), x.double().square().sum((0, 2, 3))]))
            n, mean = stats[0], stats[1:1 + c] / stats[0]
            var = stats[1 + c:] / n - mean.square()
            with torch.no_grad():
                self.running_mean.lerp_(mean.float(), self.momentum)
                self.running_var.lerp_((var * n / (n - 1)).float(), self.momentum)
                self.num_batches_tracked += 1
            scale = (var + self.eps).rsqrt().float() * self.weight
            return x * scale[:, None, None] + (self.bias - mean.float() * scale)[:, None, None]

    for m in module.modules():
        if type(m) is nn.BatchNorm2d:
            m.__class__ = SyncBatchNorm2d
    return module


BATCH = 32


def train(variant, validation, steps, t, size, seed, rank=0, world=1, progress=False, evaluations=10,
          optimizer="adam"):
    """Adam (or "sgd") with a one-cycle learning rate on batches of 32 fresh clips per step (the frames'
    class scores averaged, the TSN consensus); ``validation`` is (frames, labels) from
    temporal_clips. Returns (results, model): validation accuracy (also at ``evaluations`` points
    during training), parameters, seconds, the loss per step. With ``world`` > 1 this is one
    process of a torch.distributed group: every process draws the same global batch and trains on
    its share of the clips; DistributedDataParallel averages the gradients and BatchNorm uses the
    global batch's statistics, so the steps equal single-process training on the global batch
    (up to rounding)."""
    import torch
    import torch.distributed as dist
    from torch import nn

    torch.manual_seed(seed)
    net = model = build(variant, t)
    if world > 1:
        model = nn.parallel.DistributedDataParallel(_global_batch_norm(net))
    optimizer_type = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer]
    optimizer = optimizer_type(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    x_val, y_val = (torch.from_numpy(a) for a in validation)

    def logits(module, frames):
        return module(frames).view(-1, t, len(CLASSES)).mean(1)

    def predict():
        net.eval()
        with torch.no_grad():
            predicted = torch.cat([logits(net, x_val[i:i + 512 * t]).argmax(1) for i in range(0, len(x_val), 512 * t)])
        net.train()
        return predicted

    def accuracy():
        return (predict() == y_val).float().mean().item()

    steps_iter = range(steps)
    if progress and rank == 0:
        try:
            from tqdm import tqdm
            steps_iter = tqdm(steps_iter, desc=f"   {variant}", leave=False, file=sys.stdout, ncols=90)
        except ImportError:
            pass
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    losses, curve = [], []
    model.train()
    for step in steps_iter:
        frames, labels = temporal_clips(BATCH, t, size, rng)
        share = slice(rank * BATCH // world, (rank + 1) * BATCH // world)   # whole clips: T frames stay together
        frames, labels = torch.from_numpy(frames[share.start * t:share.stop * t]), torch.from_numpy(labels[share])
        loss = nn.functional.cross_entropy(logits(model, frames), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        global_loss = loss.detach().clone()
        if world > 1:
            dist.all_reduce(global_loss)
            global_loss /= world
        losses.append(global_loss.item())
        if hasattr(steps_iter, "set_postfix"):
            steps_iter.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}", refresh=False)
        if evaluations and rank == 0 and (step + 1) % max(1, steps // evaluations) == 0 and step + 1 < steps:
            curve.append([step + 1, accuracy()])
    seconds = time.perf_counter() - start
    correct = predict() == y_val
    curve.append([steps, correct.float().mean().item()])
    per_class = {name: correct[y_val == c].float().mean().item() for c, name in enumerate(CLASSES) if (y_val == c).any()}
    net.eval()
    return {"accuracy": curve[-1][1], "parameters": sum(p.numel() for p in net.parameters()), "seconds": seconds,
            "losses": losses, "accuracy_curve": curve, "per_class_accuracy": per_class}, net


def _distributed_process(rank, world, port, queue, args):
    import torch
    import torch.distributed as dist

    # The processes share the machine's cores.
    threads = max(1, (os.cpu_count() or 1) // world)
    torch.set_num_threads(threads)
    vt.set_num_threads(threads)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        variant, validation, steps, t, size, seed, optimizer = args
        result, net = train(variant, validation, steps, t, size, seed, rank=rank, world=world, optimizer=optimizer)
        if rank == 0:
            # numpy copies: a tensor in the queue would share memory that dies with this process.
            queue.put((result, {k: v.numpy().copy() for k, v in net.state_dict().items()}))
    finally:
        dist.destroy_process_group()


def train_distributed(world, variant, validation, steps, t, size, seed, optimizer="adam"):
    """``train`` on ``world`` processes (torch.distributed, gloo backend, CPU); rank 0's results
    and model."""
    import socket

    import torch
    import torch.multiprocessing as mp

    with socket.socket() as probe:   # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    processes = mp.spawn(_distributed_process, args=(world, port, queue, (variant, validation, steps, t, size, seed, optimizer)),
                         nprocs=world, join=False)
    # Read while joining: rank 0 cannot exit while its message fills the pipe; join raises if a
    # process failed.
    message = None
    while True:
        if message is None and not queue.empty():
            message = queue.get()
        if processes.join(timeout=0.2):
            break
    result, state = message if message is not None else queue.get()
    net = build(variant, t)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return result, net.eval()


def train_and_evaluate_dam(steps, seed):
    """DAM on synthetic audio-visual events: cross-modality localisation (A2V, V2A) and event
    localisation on held-out videos, with what chance (or predicting background) would score."""
    import torch

    import synthetic_ave
    from vidtemporal import ave
    from vidtemporal.torch import DualAttentionMatching

    train_videos, test = synthetic_ave.make_synthetic_ave(600, seed=seed), synthetic_ave.make_synthetic_ave(200, seed=seed + 1)
    torch.manual_seed(seed)
    model = DualAttentionMatching(num_classes=5)
    start = time.perf_counter()
    synthetic_ave.train_dam(model, train_videos, steps=steps, seed=seed)
    seconds = time.perf_counter() - start
    t = test["labels"].shape[1]
    results = {"seconds": seconds, "cml_chance": ave.cml_chance(test["lengths"], t),
               "background_only": float((test["labels"] == 0).mean())}
    for direction in ("A2V", "V2A"):
        results[direction] = ave.cml_accuracy(synthetic_ave.localize_events(model, test, direction), test["starts"],
                                              test["lengths"], t)
    with torch.no_grad():
        p, _, _, ga, gv = model(torch.from_numpy(test["audio"]), torch.from_numpy(test["visual"]),
                                torch.ones(test["labels"].shape))
        classes = model.classify(ga, gv).argmax(1).numpy()
    results["event_localization"] = ave.event_localization_accuracy(p.numpy(), classes, test["labels"],
                                                                    test["classes"])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="examples/demo/demo.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=400, help="training steps per variant (each of 32 fresh clips)")
    parser.add_argument("--quick", action="store_true", help="a shorter run (at most 200 steps)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    parser.add_argument("--output", default="vidtemporal-demo", help="directory for results.json and the plots")
    parser.add_argument("--ddp", type=int, default=1, metavar="N",
                        help="train each variant on N processes (torch.distributed, gloo)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.ddp < 1 or BATCH % args.ddp:
        parser.error(f"--ddp: N must divide the batch of {BATCH} clips, got {args.ddp}")
    if args.steps < 1:
        parser.error(f"--steps: must be at least 1, got {args.steps}")
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}, expected a subset of {list(VARIANTS)}")
    steps, evaluations = (min(args.steps, 200), 4) if args.quick else (args.steps, 10)
    print(f"vidtemporal {vt.__version__}, {vt.get_num_threads()} threads\n")
    show_shift()
    show_stream()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\n3) skipped: the training part needs torch (pip install torch)")
        return {}
    t, size, val_clips = 8, 24, 400
    validation = temporal_clips(val_clips, t, size, np.random.default_rng([args.seed, 1]))
    print(f"\n3) Train the same small residual CNN for {steps} steps of {BATCH} fresh clips with each temporal "
          f"module. Clips of T={t} frames, {size}x{size} pixels, {len(CLASSES)} classes:\n   {', '.join(CLASSES)};\n"
          "   each class is another played backwards, and clutter and noise make single frames uninformative."
          f"\n   The frames' scores are averaged (TSN consensus); accuracy on {val_clips} held-out clips."
          + (f"\n   Each variant trains on {args.ddp} processes (torch.distributed, gloo)." if args.ddp > 1 else ""))
    results, models = {}, {}
    for variant in variants:
        if args.ddp > 1:
            results[variant], models[variant] = train_distributed(args.ddp, variant, validation, steps, t, size, args.seed)
        else:
            results[variant], models[variant] = train(variant, validation, steps, t, size, args.seed, progress=True,
                                                      evaluations=evaluations)
        r = results[variant]
        print(f"   {VARIANTS[variant]:<54} accuracy {r['accuracy']:6.1%}   {r['parameters']:>6} parameters"
              f"   {r['seconds']:5.1f} s", flush=True)
    print(f"   chance is {1 / len(CLASSES):.1%}: averaging frames cannot tell a clip from its reverse.")
    print("\n   accuracy per class: " + " ".join(f"{name.split()[-1][:7]:>8}" for name in CLASSES))
    for variant, r in results.items():
        print(f"   {variant.upper():<19}" + " ".join(f"{r['per_class_accuracy'].get(name, float('nan')):8.0%}"
                                                 for name in CLASSES))
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
        json.dump({"version": vt.__version__, "seed": args.seed, "steps": steps, "batch_clips": BATCH,
                   "frames": t, "size": size, "classes": CLASSES, "validation_clips": val_clips,
                   "variants": results, "dam": dam}, f, indent=2)
    print(f"\n5) results: {path}")
    plots = []
    try:
        import demo_plots
    except ImportError as error:
        print(f"   plots skipped: {error} (pip install matplotlib)")
    else:
        plots = demo_plots.plot_all(args.output, results, models, validation, t, VARIANTS, CLASSES, STRIDE, MOVES)
        for plot in plots:
            print(f"   plot: {plot}")
    return {**results, "dam": dam, "plots": plots}


if __name__ == "__main__":
    main()
