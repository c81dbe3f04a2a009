"""The GTA family at the numpy level against einsum references: mixing (groups 1, 2, 8; T 1..16;
S 1..784), region pooling and unpooling, spatial attention (incl. large logits); adjoints of the
linear ops; thread-count independence; bad input."""
import itertools

import numpy as np
import pytest

import vidtemporal as vt
import reference
from tolerances import tolerance

DTYPES = [np.float32, np.float64]


def close(got, want, dtype, label):
    rtol, atol = tolerance("gemm", dtype)
    scale = max(1.0, float(np.abs(want).max(initial=0)))
    assert got.shape == want.shape and got.dtype == dtype, label
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=label)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixing_equals_einsum(dtype):
    rng = np.random.default_rng(0)
    for (n, t), g, s in itertools.product([(2, 1), (1, 3), (2, 8), (1, 16)], [1, 2, 8], [1, 49, 784]):
        c = 2 * g
        v = rng.standard_normal((n * t, c, s)).astype(dtype)
        attn = rng.standard_normal((g, g, t, t)).astype(dtype)
        grad = rng.standard_normal(v.shape).astype(dtype)
        label = f"N={n} T={t} G={g} S={s} {np.dtype(dtype).name}"
        close(vt.global_temporal_attention(v, attn, t, groups=g), reference.global_temporal_attention(v, attn, t),
              dtype, label)
        grad_v, grad_attn = vt.global_temporal_attention_backward(grad, v, attn, t)
        # The mixing is linear in v and in attn: its gradients are the einsum transposes.
        v64, attn64, grad64 = (a.astype(np.float64) for a in (v, attn, grad))
        blocks = lambda a: a.reshape(n, t, g, c // g, s)
        want_v = np.einsum("kgtu,ntkcs->nugcs", attn64, blocks(grad64)).reshape(v.shape)
        want_attn = np.einsum("ntkcs,nugcs->kgtu", blocks(grad64), blocks(v64))
        close(grad_v, want_v, dtype, f"grad_v {label}")
        close(grad_attn, want_attn, dtype, f"grad_attn {label}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_region_pool_and_unpool_equal_einsum(dtype):
    rng = np.random.default_rng(1)
    for b, c, s, k in [(2, 3, 5, 2), (4, 64, 784, 8), (1, 1, 1, 1), (3, 16, 49, 7)]:
        x = rng.standard_normal((b, c, s)).astype(dtype)
        assign = rng.standard_normal((b, k, s)).astype(dtype)
        r = rng.standard_normal((b, c, k)).astype(dtype)
        label = f"B={b} C={c} S={s} K={k}"
        for normalize in (True, False):
            close(vt.region_pool(x, assign, normalize=normalize), reference.region_pool(x, assign, normalize), dtype,
                  f"pool {label} normalize={normalize}")
        close(vt.region_unpool(r, assign), reference.region_unpool(r, assign), dtype, f"unpool {label}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_ops_adjoints(dtype):
    rng = np.random.default_rng(2)
    rtol, atol = tolerance("adjoint", dtype)

    def check(lhs, rhs, label):
        np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol * max(1, abs(lhs)), err_msg=label)
    v = rng.standard_normal((16, 16, 49)).astype(dtype)
    attn = rng.standard_normal((4, 4, 8, 8)).astype(dtype)
    g = rng.standard_normal(v.shape).astype(dtype)
    check(np.vdot(vt.global_temporal_attention(v, attn, 8).astype(np.float64), g),
          np.vdot(v.astype(np.float64), vt.global_temporal_attention_backward(g, v, attn, 8)[0]), "mixing in v")
    x = rng.standard_normal((4, 16, 49)).astype(dtype)
    assign = rng.standard_normal((4, 6, 49)).astype(dtype)
    gr = rng.standard_normal((4, 16, 6)).astype(dtype)
    pooled = np.vdot(vt.region_pool(x, assign).astype(np.float64), gr)
    grad_x, grad_assign = vt.region_pool_backward(gr, x, assign)
    check(pooled, np.vdot(x.astype(np.float64), grad_x), "pool in x")
    check(pooled, np.vdot(assign.astype(np.float64), grad_assign), "pool in assign")
    r = rng.standard_normal((4, 16, 6)).astype(dtype)
    gy = rng.standard_normal((4, 16, 49)).astype(dtype)
    unpooled = np.vdot(vt.region_unpool(r, assign).astype(np.float64), gy)
    grad_r, grad_assign = vt.region_unpool_backward(gy, r, assign)
    check(unpooled, np.vdot(r.astype(np.float64), grad_r), "unpool in r")
    check(unpooled, np.vdot(assign.astype(np.float64), grad_assign), "unpool in assign")


@pytest.mark.parametrize("dtype", DTYPES)
def test_spatial_attention_equals_softmax_reference(dtype):
    rng = np.random.default_rng(3)
    for b, d, dv, s in [(2, 4, 3, 1), (3, 8, 5, 65), (1, 64, 64, 784)]:
        q, k = (rng.standard_normal((b, d, s)).astype(dtype) for _ in range(2))
        v = rng.standard_normal((b, dv, s)).astype(dtype)
        close(vt.spatial_attention(q, k, v), reference.spatial_attention(q, k, v).astype(dtype), dtype,
              f"B={b} d={d} dv={dv} S={s}")


def test_spatial_attention_backward_matches_finite_differences():
    rng = np.random.default_rng(6)
    q, k = (rng.standard_normal((2, 3, 11)) for _ in range(2))
    v, g = (rng.standard_normal((2, 4, 11)) for _ in range(2))
    grads = vt.spatial_attention_backward(g, q, k, v)
    inputs = [q, k, v]
    for which, (array, grad) in enumerate(zip(inputs, grads)):
        for index in [(0, 0, 0), (1, 2, 10), (0, 1, 5), (1, 0, 3)]:
            if index[1] >= array.shape[1]:
                continue
            step = 1e-6
            plus = [a.copy() for a in inputs]
            minus = [a.copy() for a in inputs]
            plus[which][index] += step
            minus[which][index] -= step
            numeric = (np.vdot(vt.spatial_attention(*plus), g) - np.vdot(vt.spatial_attention(*minus), g)) / (2 * step)
            assert abs(grad[index] - numeric) <= 1e-7 * max(1, abs(numeric)), (which, index, grad[index], numeric)


def test_spatial_attention_large_logits_are_stable():
    rng = np.random.default_rng(4)
    q, k = (rng.standard_normal((2, 8, 100)).astype(np.float32) * 1e3 for _ in range(2))
    v = rng.standard_normal((2, 6, 100)).astype(np.float32)
    y = vt.spatial_attention(q, k, v)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, reference.spatial_attention(*(a.astype(np.float64) for a in (q, k, v))),
                               rtol=1e-4, atol=1e-4)
    grads = vt.spatial_attention_backward(rng.standard_normal(y.shape).astype(np.float32), q, k, v)
    assert all(np.isfinite(g).all() for g in grads)


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    v = rng.standard_normal((32, 64, 196)).astype(np.float32)
    attn = rng.standard_normal((8, 8, 8, 8)).astype(np.float32)
    q, k = (rng.standard_normal((8, 16, 196)).astype(np.float32) for _ in range(2))
    results = []
    try:
        for threads in (1, 2, 3):
            vt.set_num_threads(threads)
            results.append((vt.global_temporal_attention(v, attn, 8), *vt.global_temporal_attention_backward(v, v, attn, 8),
                            vt.spatial_attention(q, k, q), *vt.spatial_attention_backward(q, q, k, q)))
    finally:
        vt.set_num_threads(0)
    for result in results[1:]:
        for got, want in zip(result, results[0]):
            np.testing.assert_array_equal(got, want)


def test_bad_input():
    v = np.ones((8, 16, 5), np.float32)
    attn = np.ones((4, 4, 4, 4), np.float32)
    with pytest.raises(ValueError, match=r"v.shape\[1\]=6 is not divisible by G=attn.shape\[0\]=4"):
        vt.global_temporal_attention(np.ones((8, 6, 5), np.float32), attn, 4)
    with pytest.raises(ValueError, match=r"attn.shape\[2\]=4 does not match num_segments=2 \(T\)"):
        vt.global_temporal_attention(v, attn, 2)
    with pytest.raises(ValueError, match="groups=2 but attn has shape"):
        vt.global_temporal_attention(v, attn, 4, groups=2)
    with pytest.raises(ValueError, match=r"v.shape\[0\]=8 \(N\*T\) is not a multiple of num_segments=3"):
        vt.global_temporal_attention(v, np.ones((4, 4, 3, 3), np.float32), 3)
    with pytest.raises(TypeError, match="attn is float64 but v is float32"):
        vt.global_temporal_attention(v, attn.astype(np.float64), 4)
    with pytest.raises(ValueError, match=r"attn must have 4 dims \(G, G, T, T\)"):
        vt.global_temporal_attention(v, attn[0], 4)
    x, assign = np.ones((2, 3, 10), np.float32), np.ones((2, 4, 9), np.float32)
    with pytest.raises(ValueError, match=r"region_pool: assign.shape\[2\]=9 does not match x.shape\[2\]=10 \(S\)"):
        vt.region_pool(x, assign)
    with pytest.raises(ValueError, match=r"region_unpool: assign.shape\[1\]=4 does not match r.shape\[2\]=3 \(K\)"):
        vt.region_unpool(np.ones((2, 5, 3), np.float32), assign)
    q = np.ones((2, 4, 10), np.float32)
    with pytest.raises(ValueError, match=r"spatial_attention: k.shape\[2\]=9 does not match q.shape\[2\]=10 \(S\)"):
        vt.spatial_attention(q, np.ones((2, 4, 9), np.float32), q)
    with pytest.raises(ValueError, match=r"v.shape\[2\]=11 does not match q.shape\[2\]=10 \(S\)"):
        vt.spatial_attention(q, q, np.ones((2, 4, 11), np.float32))
    with pytest.raises(TypeError, match="must be float32, float64, float16 or bfloat16"):
        vt.spatial_attention(q.astype(np.int32), q, q)
    with pytest.raises(ValueError, match="must be C-contiguous"):
        vt.region_pool(np.ones((2, 10, 3), np.float32).transpose(0, 2, 1), np.ones((2, 4, 10), np.float32))
