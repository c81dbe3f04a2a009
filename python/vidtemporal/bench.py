"""Benchmarks: each op against the physical limit (memory copy bandwidth for data movement)
and the PyTorch reference implementation, measured in the same run, reported as ratios.

    python -m vidtemporal bench [--quick] [--json FILE]
"""
import argparse
import json
import time

import numpy as np

from . import _C, get_num_threads, temporal_shift, TemporalShiftStream
from .temporal_shift import MODES


def timeit(fn, repeat):
    """Median wall time of `repeat` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def official_shift(torch, x, n_segment, fold_div=8):
    """The official TSM slicing shift (mit-han-lab/temporal-shift-module, ops/temporal_shift.py)."""
    nt, c, h, w = x.size()
    x = x.view(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold:2 * fold] = x[:, :-1, fold:2 * fold]
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]
    return out.view(nt, c, h, w)


def bench_temporal_shift(repeat, torch):
    n, t, c, h, w = 8, 8, 256, 56, 56
    x = np.random.default_rng(0).standard_normal((n * t, c, h, w), dtype=np.float32)
    out = np.empty_like(x)
    mode = MODES["bidirectional"]
    copy = timeit(lambda: np.copyto(out, x), repeat)
    rows = {
        "copy (numpy copyto, preallocated)": copy,
        # fold_div > C makes the shift a pure copy: memcpy bandwidth at our thread count.
        "copy (vidtemporal threads, fold = 0)": timeit(lambda: _C.temporal_shift(x, out, t, c + 1, mode, False), repeat),
        "forward (preallocated out)": timeit(lambda: _C.temporal_shift(x, out, t, 8, mode, False), repeat),
        "backward (preallocated out)": timeit(lambda: _C.temporal_shift(x, out, t, 8, mode, True), repeat),
        "forward (vidtemporal.temporal_shift, allocates)": timeit(lambda: temporal_shift(x, t), repeat),
        "in-place forward": timeit(lambda: _C.temporal_shift_inplace(x, t, 8, mode, False), repeat),
    }
    frame = np.ascontiguousarray(x[:1])
    frame_out = np.empty_like(frame)
    stream = TemporalShiftStream(8)
    stream.step(frame)
    frame_copy = timeit(lambda: np.copyto(frame_out, frame), repeat * 20)
    rows["copy one frame (1, 256, 56, 56)"] = frame_copy
    rows["stream step, one frame"] = timeit(lambda: stream.step(frame, frame_out),
                                            repeat * 20)
    ratios = {
        "forward / copy": rows["forward (preallocated out)"] / copy,
        "backward / copy": rows["backward (preallocated out)"] / copy,
        "forward / threaded copy": rows["forward (preallocated out)"] / rows["copy (vidtemporal threads, fold = 0)"],
        "in-place / copy": rows["in-place forward"] / copy,
        "stream step / frame copy": rows["stream step, one frame"] / frame_copy,
    }
    targets = {"forward / copy": "<= 1.3", "backward / copy": "<= 1.3",
               "forward / threaded copy": "<= 1.3", "in-place / copy": "<= 0.5",
               "stream step / frame copy": "<= 2"}
    if torch is not None:
        xt = torch.from_numpy(x).requires_grad_()
        grad = torch.from_numpy(out)
        rows["official slicing forward (torch)"] = timeit(lambda: official_shift(torch, xt.detach(), t), repeat)

        def torch_backward():
            y = official_shift(torch, xt, t)
            torch.autograd.grad(y, xt, grad)
        # Backward alone = (forward + backward) - forward.
        rows["official slicing backward (torch)"] = (timeit(torch_backward, repeat)
                                                     - rows["official slicing forward (torch)"])
        ratios["official forward / ours (allocating)"] = (rows["official slicing forward (torch)"]
                                                          / rows["forward (vidtemporal.temporal_shift, allocates)"])
        ratios["official backward / ours"] = rows["official slicing backward (torch)"] / rows["backward (preallocated out)"]
        targets["official forward / ours (allocating)"] = ">= 4"
        targets["official backward / ours"] = ">= 4"
    return {"shape": [n * t, c, h, w], "dtype": "float32", "seconds": rows, "ratios": ratios, "targets": targets}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidtemporal bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(get_num_threads())
    except ImportError:
        torch = None
        print("torch is not installed: the PyTorch reference columns are skipped")
    repeat = 3 if args.quick else 10
    results = {"threads": get_num_threads(), "temporal_shift": bench_temporal_shift(repeat, torch)}
    for op, result in results.items():
        if op == "threads":
            continue
        print(f"\n{op}  {tuple(result['shape'])} {result['dtype']}, {results['threads']} threads")
        for name, seconds in result["seconds"].items():
            print(f"  {name:<50} {seconds * 1e3:9.3f} ms")
        for name, ratio in result["ratios"].items():
            print(f"  {name:<50} {ratio:9.2f}x   target {result['targets'][name]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
