"""Each module alone, forward + backward, at the shapes it meets in a ResNet-50 video network
(N = 2 clips x T = 8 frames, 112 x 112: the shift and the interlace on stage 1's output, MS after
stage 2, the GTA block after stage 3 at 112 and 224, DAM at the AVE shapes), with vidtemporal's
ops and with the plain torch implementations (vidtemporal.torch.portable) swapped into the same
modules; then one training step (forward, backward, SGD) of the whole network
(examples/resnet50_temporal.py) for TSN, TSM, TIN, TSM + MS after stage 2 and TSM + GTA after
stage 3, each with vidtemporal's ops, with the plain torch ones, and with no-op stand-ins for the
ops (what the module's own layers cost), in the same run. Prints each time, each module's
overhead over TSN for both, and how much of it the module's layers take.

    python benchmarks/model_step.py [--quick] [--size 112] [--autocast] [--json FILE]

--autocast runs every forward under torch.autocast("cpu", dtype=torch.bfloat16), as mixed
precision training does (the backward follows the forward's dtypes).

Steps of all configurations are interleaved round by round, so that drift on a shared machine
hits every configuration alike, and compared by their fastest round: another process's load only
ever adds time, and the overheads (tens of ms) are smaller than a step's spread between rounds.
"""
import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

import vidtemporal
from vidtemporal.temporal_shift import MODES
from vidtemporal.torch import portable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from bench import machine  # noqa: E402
from resnet50_temporal import VideoClassifier, temporal_resnet50  # noqa: E402

KINDS = ("tsn", "tsm", "tin", "ms", "gta")
LABELS = {"tsn": "TSN", "tsm": "TSM", "tin": "TIN", "ms": "TSM + MS (stage 2)", "gta": "TSM + GTA (stage 3)"}


def _module(name):
    return sys.modules[f"vidtemporal.torch.{name}"]


# The functions the modules call, as plain torch: name in the module's namespace -> replacement
# (the portable forwards return their outputs as a tuple).
TORCH_REFERENCES = {
    "temporal_shift": {
        "temporal_shift": lambda x, t, fold_div, mode: portable.temporal_shift.temporal_shift_forward(
            x, t, fold_div, MODES[mode])[0]},
    "temporal_interlace": {
        "temporal_interlace": lambda x, o, w, t, shift_div: portable.temporal_interlace.temporal_interlace_forward(
            x, o, w, t, shift_div)[0]},
    "motion_squeeze": {
        "motion_squeeze": lambda x, t, p, sigma, temperature, normalize=True:
            portable.motion_squeeze.motion_squeeze_forward(x, t, p, sigma, temperature, normalize)[0]},
    "dual_attention_matching": {
        "dual_attention_matching": lambda *args: portable.dual_attention_matching.dual_attention_matching_forward(
            *args, [False])[:5]},
    "global_temporal_attention": {
        "spatial_attention": lambda q, k, v: portable.spatial_attention.spatial_attention_forward(q, k, v, [False])[0],
        "global_temporal_attention": lambda v, a, t: portable.global_temporal_attention.global_temporal_attention_forward(
            v, a, t)[0],
        "region_pool": lambda x, a: portable.region_pool.region_pool_forward(x, a, True)[0],
        "region_unpool": lambda r, a: portable.region_unpool.region_unpool_forward(r, a)[0]},
}


# The same functions as stand-ins that cost next to nothing (outputs of the right shape, every
# input kept in the graph so that the layers producing them still run their backward): what is
# left of a module's overhead is its own layers (the GTA block's 1x1 convs, MS's reduction...).
NO_OPS = {
    "temporal_shift": {"temporal_shift": lambda x, t, fold_div, mode: x},
    "temporal_interlace": {"temporal_interlace": lambda x, o, w, t, shift_div: x + 0 * (o.sum() + w.sum())},
    "motion_squeeze": {"motion_squeeze": lambda x, t, p, sigma, temperature, normalize=True: x[:, :3]},
    "global_temporal_attention": {
        "spatial_attention": lambda q, k, v: v + 0 * (q.sum() + k.sum()),
        "global_temporal_attention": lambda v, a, t: v + 0 * a.sum(),
        "region_pool": lambda x, a: x.new_zeros(x.shape[0], x.shape[1], a.shape[1]) + 0 * (x.sum() + a.sum()),
        "region_unpool": lambda r, a: r.new_zeros(r.shape[0], r.shape[1], a.shape[2]) + 0 * (r.sum() + a.sum())},
}


@contextlib.contextmanager
def replaced(functions):
    """The modules calling `functions` (module -> name -> replacement) instead of vidtemporal's."""
    saved = {(m, name): getattr(_module(m), name) for m, names in functions.items() for name in names}
    try:
        for m, names in functions.items():
            for name, replacement in names.items():
                setattr(_module(m), name, replacement)
        yield
    finally:
        for (m, name), value in saved.items():
            setattr(_module(m), name, value)


def torch_references():
    """The modules running the plain torch implementations (autograd through torch ops)."""
    return replaced(TORCH_REFERENCES)


def forward_context(autocast):
    return torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()


def make_step(kind, size, autocast, clips=2, frames=8, classes=10):
    torch.manual_seed(0)
    model = VideoClassifier(temporal_resnet50(kind, frames, classes), frames).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x, y = torch.randn(clips, frames, 3, size, size), torch.randint(0, classes, (clips,))

    def step():
        with forward_context(autocast):
            loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def module_cases():
    """(name, shape text, module, inputs): each module at the shapes the network gives it."""
    import vidtemporal.torch as vtt
    g = torch.Generator().manual_seed(0)
    nt, t = 16, 8

    def leaf(*shape):
        return torch.randn(*shape, generator=g).requires_grad_(True)

    yield "TemporalShift", "(16, 256, 28, 28)", vtt.TemporalShift(nn.Identity(), t), [leaf(nt, 256, 28, 28)]
    yield "TemporalInterlace", "(16, 256, 28, 28)", vtt.TemporalInterlace(256, t), [leaf(nt, 256, 28, 28)]
    yield "MotionSqueeze", "(16, 512, 14, 14)", vtt.MotionSqueeze(512, t), [leaf(nt, 512, 14, 14)]
    for side in (7, 14):
        yield ("GlobalTemporalAttention", f"(16, 1024, {side}, {side})", vtt.GlobalTemporalAttention(1024, t),
               [leaf(nt, 1024, side, side)])
    mask = (torch.rand(64, 10, generator=g) > 0.3).float()
    yield ("DualAttentionMatching", "N = 64, T = 10", vtt.DualAttentionMatching(128, 512, 256, 64),
           [leaf(64, 10, 128), leaf(64, 10, 512), mask])


def modules_table(rounds, autocast):
    """Each module forward + backward with our ops and with plain torch ones, interleaved."""
    print(f"modules alone, forward + backward{' under bfloat16 autocast' if autocast else ''}, "
          f"fastest of {rounds} interleaved rounds")
    print(f"{'module':<26}{'input':<22}{'ours ms':>9}{'torch ms':>10}{'torch/ours':>12}  target >= 1")
    rows = []
    for name, shape, module, inputs in module_cases():
        module.train()

        def run(module=module, inputs=inputs):
            with forward_context(autocast):
                out = module(*inputs)
            outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
            torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])
        times = {"ours": [], "torch": []}
        for impl in ("ours", "torch", "ours", "torch"):   # warm-up
            with replaced(TORCH_REFERENCES) if impl == "torch" else contextlib.nullcontext():
                run()
        for _ in range(rounds):
            for impl in times:
                with replaced(TORCH_REFERENCES) if impl == "torch" else contextlib.nullcontext():
                    start = time.perf_counter()
                    run()
                    times[impl].append(time.perf_counter() - start)
        ours, ref = min(times["ours"]), min(times["torch"])
        print(f"{name:<26}{shape:<22}{ours * 1e3:9.2f}{ref * 1e3:10.2f}{ref / ours:11.2f}x"
              f"{'' if ref >= ours else '  NOT MET'}")
        rows.append({"module": name, "input": shape, "ours_s": ours, "torch_s": ref})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--autocast", action="store_true", help="forwards under bfloat16 autocast")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 10
    torch.set_num_threads(vidtemporal.get_num_threads())
    info, line = machine()
    print(line)
    module_rows = modules_table(rounds, args.autocast)
    configs = [(kind, impl) for kind in KINDS
               for impl in (("vidtemporal", "torch", "no-op") if kind != "tsn" else ("-",))]
    steps = {config: make_step(config[0], args.size, args.autocast) for config in configs}

    def run(config):
        if config[1] == "-" or config[1] == "vidtemporal":
            return steps[config]()
        with replaced(TORCH_REFERENCES if config[1] == "torch" else NO_OPS):
            steps[config]()
    times = {config: [] for config in configs}
    for config in configs:   # warm-up
        run(config)
    for _ in range(rounds):
        for config in configs:
            start = time.perf_counter()
            run(config)
            times[config].append(time.perf_counter() - start)
    best = {config: float(min(t)) for config, t in times.items()}
    median = {config: float(np.median(t)) for config, t in times.items()}
    spread = {config: (min(t), max(t)) for config, t in times.items()}
    tsn = best[("tsn", "-")]
    print(f"\nResNet-50 training step{' under bfloat16 autocast' if args.autocast else ''}, N = 2 x T = 8, "
          f"{args.size} x {args.size}, fastest of {rounds} interleaved rounds")
    print(f"{'network':<22}{'vidtemporal ms':>15}{'torch ms':>10}{'overhead ours':>15}{'overhead torch':>16}"
          f"{'torch/ours':>12}{'own layers':>12}{'ops: ours':>11}{'torch':>7}  target >= 3")
    print(f"{'TSN':<22}{tsn * 1e3:15.0f}{tsn * 1e3:10.0f}")
    results = {"machine": info, "autocast": args.autocast, "modules": module_rows, "size": args.size,
               "rounds": rounds, "tsn_s": tsn, "rows": []}
    for kind in KINDS[1:]:
        ours, ref = best[(kind, "vidtemporal")], best[(kind, "torch")]
        over_ours, over_ref = ours - tsn, ref - tsn
        ratio = over_ref / over_ours if over_ours > 0 else float("inf")
        # The module's layers alone (its temporal ops as no-op stand-ins), and what the ops add.
        layers = best[(kind, "no-op")] - tsn
        print(f"{LABELS[kind]:<22}{ours * 1e3:15.0f}{ref * 1e3:10.0f}{over_ours * 1e3:15.0f}{over_ref * 1e3:16.0f}"
              f"{ratio:11.1f}x{layers * 1e3:12.0f}{(over_ours - layers) * 1e3:11.0f}{(over_ref - layers) * 1e3:7.0f}"
              f"{'' if ratio >= 3 else '  NOT MET'}")
        results["rows"].append({"network": LABELS[kind], "ours_s": ours, "torch_s": ref,
                                "median_ours_s": median[(kind, "vidtemporal")], "median_torch_s": median[(kind, "torch")],
                                "overhead_ours_s": over_ours, "own_layers_s": layers,
                                "overhead_torch_s": over_ref, "spread_ours_s": spread[(kind, "vidtemporal")],
                                "spread_torch_s": spread[(kind, "torch")]})
    tsn_spread = spread[("tsn", "-")]
    print(f"TSN step spread over the rounds: {tsn_spread[0] * 1e3:.0f}-{tsn_spread[1] * 1e3:.0f} ms "
          f"(median {median[('tsn', '-')] * 1e3:.0f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
