"""Benchmarks: each op against the physical limit (memory copy bandwidth for data movement)
and the PyTorch reference implementation, measured in the same run, reported as ratios.

    python benchmarks/bench.py [--quick] [--json FILE] [--torch-huge-pages] [--no-baseline]

The kernel build the library chose for this CPU runs first; then, unless that is already the
baseline or --no-baseline is given, the same benchmark runs again in a child process with
VT_CPU=baseline, and both builds' times are printed side by side.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from vidtemporal import _C, cpu_dispatch, get_num_threads, temporal_shift, TemporalShiftStream
from vidtemporal.temporal_shift import MODES


def machine():
    """The machine a number belongs to, as a dict and as one line: the CPU (model name, family and
    model, its vector ISA flags), the kernel build that runs, the BLAS and its kernel set, threads."""
    import vidtemporal
    model, flags = vidtemporal._blas.cpu()
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("cpu family", "model") and key.strip() not in fields:
                    fields[key.strip()] = value.strip()
    except OSError:
        pass
    isa = [flag for flag in ("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                             "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16") if flag in flags]
    blas = vidtemporal.blas_info()
    info = {"cpu": model, "family": fields.get("cpu family"), "model": fields.get("model"), "isa": isa,
            "build": vidtemporal.cpu_dispatch(), "blas": blas, "threads": vidtemporal.get_num_threads()}
    line = (f"CPU: {model or 'unknown'} (family {info['family']}, model {info['model']}; {' '.join(isa) or 'no AVX'})"
            f" | kernel build {info['build']} | BLAS {blas['name']} {blas['version']}, kernels {blas['core'] or '?'}"
            f" | {info['threads']} threads")
    return info, line


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
        "copy (vidtemporal threads, fold = 0)": timeit(lambda: _C.temporal_shift_forward(x, out, t, c + 1, mode), repeat),
        "forward (preallocated out)": timeit(lambda: _C.temporal_shift_forward(x, out, t, 8, mode), repeat),
        "backward (preallocated out)": timeit(lambda: _C.temporal_shift_backward(x, out, t, 8, mode), repeat),
        "forward (vidtemporal.temporal_shift, allocates)": timeit(lambda: temporal_shift(x, t), repeat),
        "in-place forward": timeit(lambda: _C.temporal_shift_inplace_forward(x, t, 8, mode), repeat),
    }
    # channels_last: the same values in NHWC memory, read and written natively.
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    out_nhwc = np.empty_like(x_nhwc)
    rows["forward, channels_last (preallocated)"] = timeit(
        lambda: _C.temporal_shift_forward(x_nhwc, out_nhwc, t, 8, mode), repeat)
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
    ratios["channels_last forward / NCHW forward"] = (rows["forward, channels_last (preallocated)"]
                                                      / rows["forward (preallocated out)"])
    targets = {"forward / copy": "<= 1.3", "backward / copy": "<= 1.3",
               "forward / threaded copy": "<= 1.3", "in-place / copy": "<= 0.5",
               "stream step / frame copy": "<= 2", "channels_last forward / NCHW forward": "<= 1.3"}
    if torch is not None:
        xb = torch.from_numpy(x).bfloat16()
        outb = torch.empty_like(xb)
        rows["forward, bfloat16 (preallocated)"] = timeit(lambda: _C.temporal_shift_forward(xb, outb, t, 8, mode),
                                                          repeat)
        ratios["bfloat16 forward / float32 forward"] = (rows["forward, bfloat16 (preallocated)"]
                                                        / rows["forward (preallocated out)"])
        targets["bfloat16 forward / float32 forward"] = "<= 0.6"
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


def torch_interlace(torch, x, offsets, weights, num_segments, shift_div):
    """TIN composed the way the official code does it (linear_sampler): per clip and part, two
    integer shifts with zero fill (the tin_shift kernel, which has no CPU version, written as
    slicing), blended by the fractional part, then the per-frame weights."""
    nt, c, h, w = x.shape
    t, n, groups = num_segments, nt // num_segments, offsets.shape[1]
    fold = c // shift_div
    size = fold // (2 * groups)
    v = x.view(n, t, c, h, w)
    shifts = torch.cat([offsets, -offsets], 1)

    def integer_shift(chunk, k):
        out = torch.zeros_like(chunk)
        for i in range(n):
            ki = int(k[i])
            if 0 <= ki < t:
                out[i, ki:] = chunk[i, :t - ki]
            elif -t < ki < 0:
                out[i, :t + ki] = chunk[i, -ki:]
        return out

    parts = []
    for q in range(2 * groups):
        s = shifts[:, q]
        k = s.detach().floor()
        a = (s - k).view(n, 1, 1, 1, 1)
        chunk = v[:, :, q * size:(q + 1) * size]
        blended = (1 - a) * integer_shift(chunk, k) + a * integer_shift(chunk, k + 1)
        parts.append(weights[:, :, q % groups].view(n, t, 1, 1, 1) * blended)
    return torch.cat(parts + [v[:, :, fold:]], 2).view(nt, c, h, w)


def bench_temporal_interlace(repeat, torch):
    n, t, c, h, w, shift_div, groups = 8, 8, 256, 56, 56, 4, 2
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n * t, c, h, w), dtype=np.float32)
    offsets = rng.uniform(-2, 2, (n, groups)).astype(np.float32)
    weights = rng.uniform(0.5, 1.5, (n, t, groups)).astype(np.float32)
    out = np.empty_like(x)
    grads = np.empty_like(x), np.empty_like(offsets), np.empty_like(weights)
    copy = timeit(lambda: np.copyto(out, x), repeat)
    forward = timeit(lambda: _C.temporal_interlace_forward(x, offsets, weights, out, t, shift_div), repeat)
    backward = timeit(lambda: _C.temporal_interlace_backward(x, x, offsets, weights, *grads, t, shift_div), repeat)
    rows = {
        "copy (numpy copyto, preallocated)": copy,
        "forward (preallocated out)": forward,
        "backward, all three gradients (preallocated)": backward,
        "forward + backward (vidtemporal.torch, autograd)": None,
    }
    ratios = {"forward / copy": forward / copy}
    targets = {"forward / copy": "<= 1.5"}
    if torch is not None:
        from vidtemporal.torch import temporal_interlace as vtt_interlace
        xt, ot, wt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, offsets, weights))
        grad = torch.from_numpy(out)

        def ours():
            torch.autograd.grad(vtt_interlace(xt, ot, wt, t, shift_div), (xt, ot, wt), grad)

        def reference():
            torch.autograd.grad(torch_interlace(torch, xt, ot, wt, t, shift_div), (xt, ot, wt), grad)
        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(ours, repeat)
        rows["forward + backward (torch reference sampler)"] = timeit(reference, repeat)
        ratios["torch reference / ours, forward + backward"] = (rows["forward + backward (torch reference sampler)"]
                                                                / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["torch reference / ours, forward + backward"] = ">= 4"
    rows = {k: v for k, v in rows.items() if v is not None}
    return {"shape": [n * t, c, h, w], "dtype": "float32", "seconds": rows, "ratios": ratios, "targets": targets}


def sgemm_gflops(torch, repeat):
    """The machine's float32 GEMM rate: the best of numpy (OpenBLAS) and torch on 2048^3."""
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((2048, 2048), dtype=np.float32) for _ in range(2))
    flops = 2 * 2048 ** 3
    rates = {"numpy": flops / timeit(lambda: a @ b, repeat) / 1e9}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        rates["torch"] = flops / timeit(lambda: ta @ tb, repeat) / 1e9
    return max(rates.values()), rates


def bench_global_temporal_attention(repeat, torch, sgemm):
    n, t, c, s, g = 8, 8, 512, 28 * 28, 8
    rng = np.random.default_rng(3)
    v = rng.standard_normal((n * t, c, s), dtype=np.float32)
    attn = (rng.standard_normal((g, g, t, t)) / t ** 0.5).astype(np.float32)
    out, grad_v, grad_attn = np.empty_like(v), np.empty_like(v), np.empty_like(attn)
    flops = 3 * 2 * n * (t * g) ** 2 * (c // g) * s    # forward, v-gradient, attn-gradient: one GEMM size each

    def ours():
        _C.global_temporal_attention_forward(v, attn, out, t)
        _C.global_temporal_attention_backward(v, v, attn, grad_v, grad_attn, t)
    seconds = timeit(ours, repeat)
    rows = {"forward + backward (preallocated)": seconds}
    ratios = {"GFLOP/s / sgemm GFLOP/s": flops / seconds / 1e9 / sgemm}
    targets = {"GFLOP/s / sgemm GFLOP/s": ">= 0.6"}
    if torch is not None:
        from vidtemporal.torch import global_temporal_attention as vtt_mix
        vt_, at_ = torch.from_numpy(v).requires_grad_(), torch.from_numpy(attn).requires_grad_()
        grad = torch.from_numpy(out)

        def through_autograd():
            torch.autograd.grad(vtt_mix(vt_, at_, t), (vt_, at_), grad)

        def einsum():
            y = torch.einsum("kgtu,nugcs->ntkcs", at_, vt_.view(n, t, g, c // g, s)).reshape(n * t, c, s)
            torch.autograd.grad(y, (vt_, at_), grad)
        vb, ab = torch.from_numpy(v).bfloat16(), torch.from_numpy(attn).bfloat16()
        outb, grad_vb, grad_ab = torch.empty_like(vb), torch.empty_like(vb), torch.empty_like(ab)

        def ours_bfloat16():
            _C.global_temporal_attention_forward(vb, ab, outb, t)
            _C.global_temporal_attention_backward(vb, vb, ab, grad_vb, grad_ab, t)
        rows["forward + backward, bfloat16 (preallocated)"] = timeit(ours_bfloat16, repeat)
        ratios["float32 / bfloat16, forward + backward"] = seconds / rows["forward + backward, bfloat16 (preallocated)"]
        targets["float32 / bfloat16, forward + backward"] = ">= 1"
        # Both sides through torch autograd, fresh outputs each call.
        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(through_autograd, repeat)
        rows["forward + backward (torch einsum, autograd)"] = timeit(einsum, repeat)
        ratios["torch einsum / ours, both through autograd"] = (rows["forward + backward (torch einsum, autograd)"]
                                                                / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["torch einsum / ours, both through autograd"] = ">= 1.5"
    return {"shape": [n * t, c, s], "dtype": "float32", "gflop": flops / 1e9, "seconds": rows, "ratios": ratios,
            "targets": targets}


def bench_spatial_attention(repeat, torch, sgemm):
    b, d, s = 64, 64, 28 * 28
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((b, d, s), dtype=np.float32) for _ in range(3))
    out, lse = np.empty_like(v), np.empty((b, s), np.float32)
    grads = np.empty_like(q), np.empty_like(k), np.empty_like(v)
    flops = 2 * b * s * s * d * (2 + 5)   # forward: QK, PV; backward: QK again, dV, dP, dQ, dK

    def ours():
        _C.spatial_attention_forward(q, k, v, out, lse)
        _C.spatial_attention_backward(v, q, k, v, lse, *grads)
    seconds = timeit(ours, repeat)
    rows = {"forward + backward (preallocated)": seconds}
    ratios = {"GFLOP/s / sgemm GFLOP/s": flops / seconds / 1e9 / sgemm}
    targets = {"GFLOP/s / sgemm GFLOP/s": "(report)"}
    if torch is not None:
        from vidtemporal.torch import spatial_attention as vtt_attention
        oq, ok, ov = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
        ograd = torch.from_numpy(v)
        # torch's natural layout, (B, S, d), contiguous.
        tq, tk, tv = (torch.from_numpy(np.ascontiguousarray(a.transpose(0, 2, 1))).requires_grad_() for a in (q, k, v))
        grad = torch.randn(b, s, d)

        def through_autograd():
            torch.autograd.grad(vtt_attention(oq, ok, ov), (oq, ok, ov), ograd)

        def sdpa():
            y = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv)
            torch.autograd.grad(y, (tq, tk, tv), grad)
        qb, kb, vb = (torch.from_numpy(a).bfloat16() for a in (q, k, v))
        outb, lseb = torch.empty_like(vb), torch.empty(b, s, dtype=torch.bfloat16)
        gradsb = torch.empty_like(qb), torch.empty_like(kb), torch.empty_like(vb)

        def ours_bfloat16():
            _C.spatial_attention_forward(qb, kb, vb, outb, lseb)
            _C.spatial_attention_backward(vb, qb, kb, vb, lseb, *gradsb)
        rows["forward + backward, bfloat16 (preallocated)"] = timeit(ours_bfloat16, repeat)
        ratios["float32 / bfloat16, forward + backward"] = seconds / rows["forward + backward, bfloat16 (preallocated)"]
        targets["float32 / bfloat16, forward + backward"] = ">= 1"
        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(through_autograd, repeat)
        rows["forward + backward (torch scaled_dot_product_attention)"] = timeit(sdpa, repeat)
        ratios["torch SDPA / ours, both through autograd"] = (
            rows["forward + backward (torch scaled_dot_product_attention)"]
            / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["torch SDPA / ours, both through autograd"] = ">= 1"
    return {"shape": [b, d, s], "dtype": "float32", "gflop": flops / 1e9, "seconds": rows, "ratios": ratios,
            "targets": targets}


def torch_correlation(torch, f1, f2, patch_size):
    """The reference torch loop over displacements (spatial-correlation-sampler has no CPU build
    here): shift f2 with zero padding, multiply, sum over channels."""
    b, c, h, w = f1.shape
    r = (patch_size - 1) // 2
    padded = torch.nn.functional.pad(f2, (r, r, r, r))
    return torch.stack([torch.stack([(f1 * padded[:, :, i:i + h, j:j + w]).sum(1) for j in range(patch_size)], 1)
                        for i in range(patch_size)], 1)


def bench_correlation(repeat, torch, sgemm):
    b, c, h, w, p = 56, 64, 28, 28, 15
    rng = np.random.default_rng(6)
    f1, f2 = (rng.standard_normal((b, c, h, w), dtype=np.float32) for _ in range(2))
    out = np.empty((b, p, p, h, w), np.float32)
    grads = np.empty_like(f1), np.empty_like(f2)
    flops = 2 * b * c * h * w * p * p
    forward = timeit(lambda: _C.correlation_forward(f1, f2, out, p, 1), repeat)
    backward = timeit(lambda: _C.correlation_backward(out, f1, f2, *grads, p, 1), repeat)
    rows = {"forward (preallocated)": forward, "backward (preallocated)": backward}
    ratios = {"forward GFLOP/s / sgemm GFLOP/s": flops / forward / 1e9 / sgemm, "backward / forward": backward / forward}
    targets = {"forward GFLOP/s / sgemm GFLOP/s": ">= 0.4", "backward / forward": "<= 2.5"}
    if torch is not None:
        t1, t2 = torch.from_numpy(f1), torch.from_numpy(f2)
        b1, b2 = t1.bfloat16(), t2.bfloat16()
        outb = torch.empty(b, p, p, h, w, dtype=torch.bfloat16)
        rows["forward, bfloat16 (preallocated)"] = timeit(lambda: _C.correlation_forward(b1, b2, outb, p, 1), repeat)
        ratios["float32 / bfloat16, forward"] = forward / rows["forward, bfloat16 (preallocated)"]
        targets["float32 / bfloat16, forward"] = ">= 1"
        rows["forward (torch reference loop)"] = timeit(lambda: torch_correlation(torch, t1, t2, p), repeat)
        ratios["torch loop / ours, forward"] = rows["forward (torch reference loop)"] / forward
        targets["torch loop / ours, forward"] = ">= 10"
    return {"shape": [b, c, h, w, p], "dtype": "float32", "gflop": flops / 1e9, "seconds": rows, "ratios": ratios,
            "targets": targets}


def bench_spatial_correlation_sample(repeat, torch):
    """spatial-correlation-sampler's benchmark.py at its defaults (16 x 64 x 100 x 100, float64,
    kernel 3, patch 3, stride 2, padding 1, dilation 2, patch dilation 2), against reading both
    inputs (a copy of each) and the plain-torch version (shifted products, window gathers)."""
    b, c, h, w = 16, 64, 100, 100
    arguments = (3, 3, 2, 1, 2, 2)
    scalars = [v for a in arguments for v in (a, a)]
    rng = np.random.default_rng(8)
    f1, f2 = (rng.standard_normal((b, c, h, w)) for _ in range(2))
    oh = ow = (h + 2 - 5) // 2 + 1
    out = np.empty((b, 3, 3, oh, ow))
    grads = np.empty_like(f1), np.empty_like(f2)
    forward = timeit(lambda: _C.spatial_correlation_sample_forward(f1, f2, out, *scalars), repeat)
    backward = timeit(lambda: _C.spatial_correlation_sample_backward(out, f1, f2, *grads, *scalars), repeat)
    scratch = np.empty_like(f1)
    copy = timeit(lambda: (np.copyto(scratch, f1), np.copyto(scratch, f2)), repeat)
    rows = {"forward (preallocated)": forward, "backward (preallocated)": backward, "copy of both inputs": copy}
    ratios = {"forward / copy of both inputs": forward / copy, "backward / forward": backward / forward}
    targets = {"forward / copy of both inputs": "<= 3", "backward / forward": "<= 3"}
    if torch is not None:
        from vidtemporal.torch import spatial_correlation_sample
        from vidtemporal.torch.portable.spatial_correlation_sample import spatial_correlation_sample_forward
        t1, t2 = (torch.from_numpy(f).requires_grad_() for f in (f1, f2))

        def through_autograd():
            spatial_correlation_sample(t1, t2, *arguments).sum().backward()

        def plain_torch():
            spatial_correlation_sample_forward(t1, t2, *scalars)[0].sum().backward()

        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(through_autograd, repeat)
        rows["forward + backward (plain torch, autograd)"] = timeit(plain_torch, repeat)
        ratios["plain torch / ours, both through autograd"] = (rows["forward + backward (plain torch, autograd)"]
                                                               / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["plain torch / ours, both through autograd"] = ">= 10"
    return {"shape": [b, c, h, w, *arguments], "dtype": "float64", "seconds": rows, "ratios": ratios,
            "targets": targets}


def torch_motion_squeeze(torch, x, t, p, sigma=5.0, temperature=100.0):
    """Motion Squeeze composed from torch ops, the way MSNet's code does it: normalise, correlate
    each frame pair (the displacement loop), ReLU, kernel soft-argmax, repeat the last map."""
    nt, c, h, w = x.shape
    x = x / torch.sqrt((x * x).sum(1, keepdim=True) + 1e-6)
    frames = x.view(nt // t, t, c, h, w)
    r = (p - 1) // 2
    ky, kx = (torch.arange(p * p) // p).to(x.dtype), (torch.arange(p * p) % p).to(x.dtype)
    maps = []
    for s in range(t - 1):
        corr = torch.relu(torch_correlation(torch, frames[:, s], frames[:, s + 1], p)).flatten(1, 2)
        best = corr.detach().argmax(1, keepdim=True)
        by, bx = (best // p).to(x.dtype), (best % p).to(x.dtype)
        gaussian = torch.exp(-((kx[None, :, None, None] - bx) ** 2 + (ky[None, :, None, None] - by) ** 2)
                             / (2 * sigma ** 2))
        prob = (temperature * gaussian * corr).softmax(1)
        u = (prob * ((kx - r) / r)[None, :, None, None]).sum(1, keepdim=True)
        v = (prob * ((ky - r) / r)[None, :, None, None]).sum(1, keepdim=True)
        maps.append(torch.cat([u, v, corr.gather(1, best)], 1))
    maps.append(maps[-1])
    return torch.stack(maps, 1).reshape(nt, 3, h, w)


def motion_squeeze_extra_bytes(n, t, c, h, w, p):
    """Peak extra memory of one motion_squeeze forward and backward, measured in a fresh process
    (motion_squeeze_peak.py)."""
    import subprocess
    import sys
    args = [str(v) for v in (n, t, c, h, w, p, get_num_threads())]
    program = os.path.join(os.path.dirname(os.path.abspath(__file__)), "motion_squeeze_peak.py")
    result = subprocess.run([sys.executable, program, *args], capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


def bench_motion_squeeze(repeat, torch):
    n, t, c, h, w, p = 8, 8, 64, 28, 28, 15
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n * t, c, h, w), dtype=np.float32)
    out, grad_x = np.empty((n * t, 3, h, w), np.float32), np.empty_like(x)

    def ours():
        _C.motion_squeeze_forward(x, out, t, p, 5.0, 100.0, True)
        _C.motion_squeeze_backward(out, x, grad_x, t, p, 5.0, 100.0, True)
    rows = {"forward + backward (preallocated)": timeit(ours, repeat)}
    # Measured, all scratch included, against the correlation volumes of the whole clip.
    clip_volumes = n * (t - 1) * p * p * h * w * 4
    ratios = {"peak extra memory / volumes of the whole clip": motion_squeeze_extra_bytes(n, t, c, h, w, p) / clip_volumes}
    targets = {"peak extra memory / volumes of the whole clip": "well below 1"}
    if torch is not None:
        from vidtemporal.torch import motion_squeeze as vtt_squeeze
        xt = torch.from_numpy(x.copy()).requires_grad_()
        grad = torch.from_numpy(out)

        def through_autograd():
            torch.autograd.grad(vtt_squeeze(xt, t, p), xt, grad)

        def reference():
            torch.autograd.grad(torch_motion_squeeze(torch, xt, t, p), xt, grad)
        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(through_autograd, repeat)
        rows["forward + backward (composed torch reference)"] = timeit(reference, max(1, repeat // 3))
        ratios["torch reference / ours, both through autograd"] = (
            rows["forward + backward (composed torch reference)"]
            / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["torch reference / ours, both through autograd"] = ">= 5"
    return {"shape": [n * t, c, h, w, p], "dtype": "float32", "seconds": rows, "ratios": ratios, "targets": targets}


def torch_dam(torch, audio, visual, mask, wq_a, wk_a, wv_a, wq_v, wk_v, wv_v):
    """DAM in plain torch, batched, with masked softmax attention: the reference implementation."""
    def global_feature(f, wq, wk, wv):
        q, k, v = f @ wq, f @ wk, f @ wv
        logits = (q @ k.transpose(1, 2)) / q.shape[-1] ** 0.5
        logits = logits.masked_fill(mask[:, None, :] == 0, float("-inf"))
        has_region = mask.sum(1) > 0
        logits = torch.where(has_region[:, None, None], logits, torch.zeros_like(logits))
        attended = logits.softmax(-1) @ v
        return (attended * mask[..., None]).sum(1) / mask.sum(1).clamp(min=1)[:, None]
    global_audio = global_feature(audio, wq_a, wk_a, wv_a)
    global_visual = global_feature(visual, wq_v, wk_v, wv_v)
    p_audio = (audio * global_visual[:, None]).sum(-1).sigmoid()
    p_visual = (visual * global_audio[:, None]).sum(-1).sigmoid()
    return (p_audio + p_visual) / 2, p_audio, p_visual, global_audio, global_visual


def bench_dual_attention_matching(repeat, torch):
    from vidtemporal import dual_attention_matching
    n, t, d, dk = 64, 10, 256, 64
    rng = np.random.default_rng(5)

    def inputs(clips):
        mask = (rng.random((clips, t)) < 0.6).astype(np.float32)
        return ([rng.standard_normal((clips, t, d), dtype=np.float32) / 4 for _ in range(2)] + [mask]
                + [(rng.standard_normal(shape) / d ** 0.5).astype(np.float32) for shape in [(d, dk), (d, dk), (d, d)] * 2])
    arrays = inputs(n)
    outputs = [np.empty((n, t), np.float32) for _ in range(3)] + [np.empty((n, d), np.float32) for _ in range(2)]
    grads = [np.empty_like(arrays[0]), np.empty_like(arrays[1])] + [np.empty_like(w) for w in arrays[3:]]
    ones = [np.ones_like(o) for o in outputs]
    workspace = np.empty(_C.dual_attention_matching_workspace_count(n, t, d, dk), np.float32)

    def ours():
        _C.dual_attention_matching_forward(*arrays, *outputs, workspace)
        _C.dual_attention_matching_backward(*ones, *arrays, workspace, *grads)
    rows = {"forward + backward (preallocated)": timeit(ours, repeat * 10)}
    ratios, targets = {}, {}
    # Per-call overhead from Python at N = 1: the public numpy function minus the bare kernel call
    # (the extension with preallocated outputs), plus the extension's own cost, measured as a call
    # on empty arrays (N = 0), where the kernel does nothing.
    one, empty = inputs(1), inputs(0)
    one_out = [np.empty((1, t), np.float32) for _ in range(3)] + [np.empty((1, d), np.float32) for _ in range(2)]
    empty_out = [np.empty((0, t), np.float32) for _ in range(3)] + [np.empty((0, d), np.float32) for _ in range(2)]
    api = timeit(lambda: dual_attention_matching(*one), repeat * 200)
    kernel_call = timeit(lambda: _C.dual_attention_matching_forward(*one, *one_out, None), repeat * 200)
    extension = timeit(lambda: _C.dual_attention_matching_forward(*empty, *empty_out, None), repeat * 200)
    rows["forward, N=1 (vidtemporal.dual_attention_matching)"] = api
    rows["forward, N=1 (extension call, preallocated)"] = kernel_call
    rows["forward, N=0 (extension call: argument handling only)"] = extension
    ratios["Python overhead beyond the kernel, N=1 (us)"] = (api - kernel_call + extension) * 1e6
    targets["Python overhead beyond the kernel, N=1 (us)"] = "< 20"
    if torch is not None:
        from vidtemporal.torch import dual_attention_matching as vtt_dam
        ta = [torch.from_numpy(a.copy()).requires_grad_(i != 2) for i, a in enumerate(arrays)]
        tb = [torch.from_numpy(a.copy()).requires_grad_(i != 2) for i, a in enumerate(arrays)]
        differentiable = [x for i, x in enumerate(ta) if i != 2]

        def through_autograd():
            torch.autograd.grad(sum(o.sum() for o in vtt_dam(*ta)), differentiable)

        def reference():
            torch.autograd.grad(sum(o.sum() for o in torch_dam(torch, *tb)), [x for i, x in enumerate(tb) if i != 2])
        rows["forward + backward (vidtemporal.torch, autograd)"] = timeit(through_autograd, repeat * 10)
        rows["forward + backward (torch reference, autograd)"] = timeit(reference, repeat * 10)
        ratios["torch reference / ours, both through autograd"] = (
            rows["forward + backward (torch reference, autograd)"] / rows["forward + backward (vidtemporal.torch, autograd)"])
        targets["torch reference / ours, both through autograd"] = ">= 3"
    return {"shape": [n, t, d, dk], "dtype": "float32", "seconds": rows, "ratios": ratios, "targets": targets}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the second run with the baseline kernel build (VT_CPU=baseline)")
    parser.add_argument("--torch-huge-pages", action="store_true",
                        help="set THP_MEM_ALLOC_ENABLE=1 (torch backs large CPU tensors with transparent huge pages; "
                             "not torch's default, so off unless asked)")
    args = parser.parse_args(argv)
    if args.torch_huge_pages:
        # Read by torch at its first allocation: set before the import.
        os.environ["THP_MEM_ALLOC_ENABLE"] = "1"
    try:
        import torch
        torch.set_num_threads(get_num_threads())
    except ImportError:
        torch = None
        print("torch is not installed: the PyTorch reference columns are skipped")
    repeat = 3 if args.quick else 10
    sgemm, sgemm_by_library = sgemm_gflops(torch, repeat)
    info, line = machine()
    print(line + (f"  (VT_CPU={os.environ['VT_CPU']})" if os.environ.get("VT_CPU") else ""))
    print(f"sgemm 2048^3: {sgemm:.1f} GFLOP/s (" + ", ".join(f"{k} {v:.1f}" for k, v in sgemm_by_library.items()) + ")")
    print(f"torch huge pages (THP_MEM_ALLOC_ENABLE): {os.environ.get('THP_MEM_ALLOC_ENABLE', 'off (torch default)')}")
    results = {"build": cpu_dispatch(), "threads": get_num_threads(), "machine": info, "sgemm_gflops": sgemm_by_library,
               "torch_huge_pages": os.environ.get("THP_MEM_ALLOC_ENABLE") == "1",
               "temporal_shift": bench_temporal_shift(repeat, torch),
               "temporal_interlace": bench_temporal_interlace(repeat, torch),
               "global_temporal_attention": bench_global_temporal_attention(repeat, torch, sgemm),
               "spatial_attention": bench_spatial_attention(repeat, torch, sgemm),
               "dual_attention_matching": bench_dual_attention_matching(repeat, torch),
               "correlation": bench_correlation(repeat, torch, sgemm),
               "spatial_correlation_sample": bench_spatial_correlation_sample(repeat, torch),
               "motion_squeeze": bench_motion_squeeze(repeat, torch)}
    for op, result in results.items():
        if not isinstance(result, dict) or "seconds" not in result:
            continue
        print(f"\n{op}  {tuple(result['shape'])} {result['dtype']}, {results['threads']} threads")
        for name, seconds in result["seconds"].items():
            print(f"  {name:<50} {seconds * 1e3:9.3f} ms")
        for name, ratio in result["ratios"].items():
            unit = "" if name.endswith("(us)") else "x"
            print(f"  {name:<50} {ratio:9.2f}{unit:1}   target {result['targets'][name]}")
    if not args.no_baseline and cpu_dispatch() != "x86-64":
        results["baseline"] = run_baseline(args)
        print_builds_side_by_side(results, results["baseline"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


def run_baseline(args):
    """The same benchmark with the baseline kernel build, in a child process (the build is chosen
    when the library loads)."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "baseline.json")
        command = [sys.executable, os.path.abspath(__file__), "--no-baseline", "--json", path]
        command += ["--quick"] * args.quick + ["--torch-huge-pages"] * args.torch_huge_pages
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, VT_CPU="baseline"))
        with open(path) as f:
            return json.load(f)


def print_builds_side_by_side(results, baseline):
    print(f"\nkernel builds, same run: {results['build']} (the tables above) and {baseline['build']} "
          f"(VT_CPU=baseline); torch rows are the same code in both, a measure of the run's noise")
    print(f"  {'op: row':<74} {results['build']:>10} {baseline['build']:>10}   ratio")
    for op, result in results.items():
        if not isinstance(result, dict) or "seconds" not in result:
            continue
        for name, seconds in result["seconds"].items():
            other = baseline[op]["seconds"][name]
            print(f"  {op + ': ' + name:<74} {seconds * 1e3:8.3f}ms {other * 1e3:8.3f}ms {other / seconds:6.2f}x")


if __name__ == "__main__":
    main()
