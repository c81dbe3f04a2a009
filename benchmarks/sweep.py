"""The shape sweep: every op, forward + backward through the torch layer, at the shapes it meets
in a ResNet-50 video network (N = 2 clips x T = 8 frames, 112 and 224 input), against the plain
torch implementation of the same math (vidtemporal.torch.portable: the official codes' slicing
and einsum formulations) under torch autograd, in the same run; plus the GEMM limit (the op's
necessary flops at the measured sgemm rate, the best of numpy's and torch's) for the GEMM-shaped ops.

    python benchmarks/sweep.py [--quick] [--json FILE] [--only NAME]

Ours and torch run in alternation; torch/ours is the median of the per-pair ratios. Target per
row: ours at least 1.5x faster than torch; where torch itself is within 1.5x of the
GEMM limit, ours within 1.3x of that limit instead. Then (unless --only) each op's rows run again,
each op in a fresh process: a row of the whole sweep, after every op before it (torch's OpenMP
threads, the BLAS's, the allocator's state), should take at most 1.15x its time there.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

import vidtemporal
import vidtemporal.torch as vtt
from vidtemporal.temporal_shift import MODES
from vidtemporal.torch import portable

from bench import machine, sgemm_gflops

N, T = 2, 8
NT = N * T


def paired(a, b, repeat):
    """Median wall times of a and b called in alternation (one warm-up each), so that drift on a
    shared machine hits both alike, and the median of the per-pair ratios b / a."""
    a(), b()
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ratios = np.array(times_b) / np.array(times_a)
    return float(np.median(times_a)), float(np.median(times_b)), float(np.median(ratios))


def fwd_bwd(forward, inputs, grad_of=None):
    """forward(*inputs) and the gradient of every input that requires grad."""
    leaves = [x for x in inputs if isinstance(x, torch.Tensor) and x.requires_grad]

    def run():
        out = forward(*inputs)
        outs = out if isinstance(out, tuple) else (out,)
        grads = [grad_of(o) if grad_of else torch.ones_like(o) for o in outs]
        torch.autograd.grad(outs, leaves, grads)
    return run


def leaf(*shape, scale=1.0, positive=False, g=None):
    x = torch.rand(*shape, generator=g) if positive else torch.randn(*shape, generator=g) * scale
    return x.requires_grad_(True)


# Stage outputs of ResNet-50 at 112 and 224 input: (channels, side).
STAGES = {112: [(256, 28), (512, 14), (1024, 7), (2048, 4)], 224: [(256, 56), (512, 28), (1024, 14), (2048, 7)]}
GTA_SIDES = {112: 7, 224: 14}   # after stage 3
MS_SIDES = {112: 14, 224: 28}   # after stage 2


def rows():
    """(op, shape text, ours, torch reference, necessary GEMM flops or None)."""
    g = torch.Generator().manual_seed(0)
    mode = MODES["bidirectional"]
    for size in (112, 224):
        for c, side in STAGES[size]:
            x = leaf(NT, c, side, side, g=g)
            yield ("temporal_shift", f"{size}: ({NT}, {c}, {side}, {side})",
                   fwd_bwd(lambda x: vtt.temporal_shift(x, T), [x]),
                   fwd_bwd(lambda x: portable.temporal_shift.temporal_shift_forward(x, T, 8, mode), [x]), None)
    for size in (112, 224):
        for c, side in STAGES[size]:
            x = leaf(NT, c, side, side, g=g)
            offsets, weights = leaf(N, 2, scale=1.5, g=g), leaf(N, T, 2, positive=True, g=g)
            yield ("temporal_interlace", f"{size}: ({NT}, {c}, {side}, {side}), G = 2",
                   fwd_bwd(lambda x, o, w: vtt.temporal_interlace(x, o, w, T, 4), [x, offsets, weights]),
                   fwd_bwd(lambda x, o, w: portable.temporal_interlace.temporal_interlace_forward(x, o, w, T, 4),
                           [x, offsets, weights]), None)
    for size in (112, 224):
        s, c, d, groups, k = GTA_SIDES[size] ** 2, 1024, 512, 8, 128
        q, kk, v = (leaf(NT, d, s, scale=0.05, g=g) for _ in range(3))
        # QK^T and PV forward; dV, dP, dQ, dK backward.
        yield ("spatial_attention", f"{size}: ({NT}, {d}, {s})",
               fwd_bwd(vtt.spatial_attention, [q, kk, v]),
               fwd_bwd(lambda q, k, v: portable.spatial_attention.spatial_attention_forward(q, k, v, [False])[0],
                       [q, kk, v]), 6 * 2 * NT * s * s * d)
        v, attn = leaf(NT, c, s, g=g), leaf(groups, groups, T, T, scale=T ** -0.5, g=g)
        # Per clip a (G T x G T) matrix over (C / G) x S columns: forward, grad v, grad attn.
        yield ("global_temporal_attention", f"{size}: ({NT}, {c}, {s}), G = {groups}",
               fwd_bwd(lambda v, a: vtt.global_temporal_attention(v, a, T), [v, attn]),
               fwd_bwd(lambda v, a: portable.global_temporal_attention.global_temporal_attention_forward(v, a, T),
                       [v, attn]), 3 * 2 * N * (groups * T) ** 2 * (c // groups) * s)
        x, assign = leaf(NT, c, s, g=g), leaf(NT, k, s, g=g)
        yield ("region_pool", f"{size}: ({NT}, {c}, {s}), K = {k}",
               fwd_bwd(lambda x, a: vtt.region_pool(x, a), [x, assign]),
               fwd_bwd(lambda x, a: portable.region_pool.region_pool_forward(x, a, True), [x, assign]),
               3 * 2 * NT * c * k * s)
        r = leaf(NT, c, k, g=g)
        yield ("region_unpool", f"{size}: ({NT}, {c}, {k}), S = {s}",
               fwd_bwd(lambda r, a: vtt.region_unpool(r, a), [r, assign]),
               fwd_bwd(lambda r, a: portable.region_unpool.region_unpool_forward(r, a), [r, assign]),
               3 * 2 * NT * c * k * s)
    for size in (112, 224):
        side, p = MS_SIDES[size], 15
        x = leaf(NT, 64, side, side, g=g)
        yield ("motion_squeeze", f"{size}: ({NT}, 64, {side}, {side}), P = {p}",
               fwd_bwd(lambda x: vtt.motion_squeeze(x, T, p), [x]),
               fwd_bwd(lambda x: portable.motion_squeeze.motion_squeeze_forward(x, T, p, 5.0, 100.0, True), [x]),
               None)
        f1, f2 = leaf(NT, 64, side, side, g=g), leaf(NT, 64, side, side, g=g)
        yield ("correlation", f"{size}: ({NT}, 64, {side}, {side}), P = {p}",
               fwd_bwd(lambda a, b: vtt.correlation(a, b, p), [f1, f2]),
               fwd_bwd(lambda a, b: portable.correlation.correlation_forward(a, b, p, 1), [f1, f2]), None)
        corr = leaf(NT, p, p, side, side, g=g)
        yield ("kernel_soft_argmax", f"{size}: ({NT}, {p}, {p}, {side}, {side})",
               fwd_bwd(lambda c: vtt.kernel_soft_argmax(c), [corr]),
               fwd_bwd(lambda c: portable.kernel_soft_argmax.kernel_soft_argmax_forward(c, 5.0, 100.0), [corr]), None)
    for n in (64, 1):
        t, d, dk = 10, 256, 64
        audio, visual = leaf(n, t, d, g=g), leaf(n, t, d, g=g)
        mask = torch.ones(n, t)
        weights = [leaf(d, dk if i % 3 < 2 else d, scale=d ** -0.5, g=g) for i in range(6)]
        args = [audio, visual, mask, *weights]
        yield ("dual_attention_matching", f"AVE: N = {n}, T = {t}, D = {d}, DK = {dk}",
               fwd_bwd(lambda *a: vtt.dual_attention_matching(*a)[0], args),
               fwd_bwd(lambda *a: portable.dual_attention_matching.dual_attention_matching_forward(
                   *a, [False])[0], args), None)
        p, labels = torch.rand(n, t).requires_grad_(True), (torch.rand(n, t) > 0.5).double().float()
        yield ("dam_loss", f"AVE: N = {n}, T = {t}",
               fwd_bwd(lambda p: vtt.dam_loss(p, labels), [p]),
               fwd_bwd(lambda p: portable.dam_loss.dam_loss_forward(p, labels), [p]), None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--only", help="only the rows of this op")
    args = parser.parse_args(argv)
    repeat = 5 if args.quick else 15
    torch.set_num_threads(vidtemporal.get_num_threads())
    sgemm = sgemm_gflops(torch, repeat)[0]
    info, line = machine()
    if not args.only:
        print(line)
        print(f"shape sweep: forward + backward through autograd, N*T = {NT}; "
              f"sgemm {sgemm:.1f} GFLOP/s (the best of numpy and torch)")
    print(f"{'op':<26}{'shape':<38}{'ours ms':>9}{'torch ms':>10}{'torch/ours':>11}{'limit ms':>9}  target")
    results, failures = [], 0
    for op, shape, ours, reference, flops in rows():
        if args.only and op != args.only:
            continue
        ours_s, torch_s, ratio = paired(ours, reference, repeat)
        limit = flops / (sgemm * 1e9) if flops else None
        if limit and torch_s <= 1.5 * limit:
            target, met = "ours <= 1.3x limit", ours_s <= 1.3 * limit
        else:
            target, met = "torch/ours >= 1.5", ratio >= 1.5
        failures += not met
        print(f"{op:<26}{shape:<38}{ours_s * 1e3:9.2f}{torch_s * 1e3:10.2f}{ratio:10.2f}x"
              f"{'' if limit is None else f'{limit * 1e3:9.2f}':>9}  {target}{'' if met else '  NOT MET'}")
        results.append({"op": op, "shape": shape, "ours_s": ours_s, "torch_s": torch_s, "torch_over_ours": ratio,
                        "gemm_limit_s": limit, "target": target, "met": bool(met)})
    print(f"{len(results) - failures} of {len(results)} rows meet their target")
    if not args.only:
        isolated(results, args.quick)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "sgemm_gflops": sgemm, "rows": results}, f, indent=1)


def isolated(results, quick):
    """Each op's rows again in a fresh process, against the same rows in the whole sweep."""
    print("\neach op alone in a fresh process (sweep.py --only OP), against its rows in the whole sweep:")
    print(f"{'op':<26}{'shape':<38}{'sweep ms':>9}{'fresh ms':>9}{'sweep/fresh':>12}  target <= 1.15")
    slowed = 0
    for op in dict.fromkeys(r["op"] for r in results):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([sys.executable, __file__, "--only", op, "--json", out.name] + (["--quick"] if quick else []),
                           check=True, stdout=subprocess.DEVNULL)
            fresh = {r["shape"]: r["ours_s"] for r in json.load(open(out.name))["rows"]}
        for row in (r for r in results if r["op"] == op):
            row["fresh_s"] = fresh[row["shape"]]
            ratio = row["ours_s"] / row["fresh_s"]
            slowed += ratio > 1.15
            print(f"{op:<26}{row['shape']:<38}{row['ours_s'] * 1e3:9.2f}{row['fresh_s'] * 1e3:9.2f}{ratio:11.2f}x"
                  f"{'' if ratio <= 1.15 else '  SLOWER IN SEQUENCE'}")
    print(f"{len(results) - slowed} of {len(results)} rows take at most 1.15x their time in a fresh process")


if __name__ == "__main__":
    sys.exit(main())
