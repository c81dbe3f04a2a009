"""float16 and bfloat16 for every function of the op table. Data movement moves the bytes;
compute runs the float32 kernels on the widened inputs and rounds the results to nearest even,
so a half-precision call equals, bit for bit, the float32 call on the same (widened) values with
its outputs rounded by torch. Also checked against the plain-torch implementation in float32,
at the rounding of the dtype on top of the tolerance table's "portable" entry."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import vidtemporal as vt  # noqa: E402
import vidtemporal.torch as vtt  # noqa: E402
from vidtemporal.torch import _custom_ops, portable  # noqa: E402

from test_portable import _outputs, cases  # noqa: E402
from tolerances import tolerance  # noqa: E402

HALF = {"float16": torch.float16, "bfloat16": torch.bfloat16}
# Half an ulp, relative: 11 and 8 bits of precision.
ROUNDING = {"float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}


def _cast(args, dtype):
    return [a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]


@pytest.mark.parametrize("name", sorted(HALF))
def test_half_precision_is_the_float32_call_rounded(name):
    dtype = HALF[name]
    rtol, atol = tolerance("portable", "float32")
    for function, args in cases(torch.float32):
        half_args = _cast(args, dtype)
        widened = _cast(half_args, torch.float32)  # the same values, exactly
        half = _outputs(function, half_args, lambda a: _custom_ops.TORCH_FUNCTIONS[function].run(a, call=True))
        single = _outputs(function, widened, lambda a: _custom_ops.TORCH_FUNCTIONS[function].run(a, call=True))
        plain = _outputs(function, widened, lambda a: portable.run(function, a))
        for index, (got, expected, reference) in enumerate(zip(half, single, plain)):
            if expected.numel() == 0:
                continue
            if not expected.is_floating_point():  # cml_localize's start
                assert torch.equal(got, expected), (function, index)
                continue
            assert got.dtype == dtype, (function, index)
            assert torch.equal(got, expected.to(dtype)), f"{function} output {index}: not the float32 result rounded"
            torch.testing.assert_close(got.float(), reference, rtol=rtol + ROUNDING[name], atol=atol,
                                       msg=f"{function} output {index} against plain torch in float32")


@pytest.mark.parametrize("name", sorted(HALF))
def test_global_temporal_attention_in_blocks_is_the_float32_call_rounded(name):
    # Several column blocks per clip and several partial bins: the kernel widens block by block.
    g = torch.Generator().manual_seed(5)
    v = torch.randn(8, 64, 300, generator=g).to(HALF[name])
    attn = (torch.randn(2, 2, 4, 4, generator=g) / 2).to(HALF[name])
    grad = torch.randn(8, 64, 300, generator=g).to(HALF[name])
    forward = _custom_ops.TORCH_FUNCTIONS["global_temporal_attention_forward"]
    backward = _custom_ops.TORCH_FUNCTIONS["global_temporal_attention_backward"]
    assert torch.equal(forward.run((v, attn, 4), True), forward.run((v.float(), attn.float(), 4), True).to(v.dtype))
    for want in ([True, True], [True, False], [False, True]):
        half = backward.run((grad, v, attn, 4, want), True)
        single = backward.run((grad.float(), v.float(), attn.float(), 4, want), True)
        for got, expected in zip(half, single):
            assert torch.equal(got, expected.to(v.dtype)), want


@pytest.mark.parametrize("name", sorted(HALF))
def test_spatial_attention_frame_by_frame_is_the_float32_call_rounded(name):
    # Several frames per task and several 64-row blocks per frame: the kernel widens frame by frame.
    g = torch.Generator().manual_seed(7)
    q, k, v, grad = (torch.randn(5, *shape, generator=g).to(HALF[name]) for shape in ((8, 150), (8, 150), (6, 150),
                                                                                     (6, 150)))
    forward = _custom_ops.TORCH_FUNCTIONS["spatial_attention_forward"]
    backward = _custom_ops.TORCH_FUNCTIONS["spatial_attention_backward"]
    for want_lse in (False, True):
        half = forward.run((q, k, v, [want_lse]), True)
        single = forward.run((q.float(), k.float(), v.float(), [want_lse]), True)
        assert half[1].numel() == (5 * 150 if want_lse else 0)
        for got, expected in zip(half, single):
            assert torch.equal(got, expected.to(q.dtype)), want_lse
    for lse in (half[1], None):
        for want in ([True, True, True], [False, True, False], [True, False, True]):
            got = backward.run((grad, q, k, v, lse, want), True)
            expected = backward.run((grad.float(), q.float(), k.float(), v.float(),
                                     None if lse is None else lse.float(), want), True)
            assert [a.numel() > 0 for a in got] == want
            for a, b in zip(got, expected):
                assert torch.equal(a, b.to(q.dtype)), want


@pytest.mark.parametrize("name", sorted(HALF))
def test_correlation_tiles_read_half_precision(name):
    # Images at least 8 wide run the float32 tiles on the half-precision tensors themselves
    # (narrower ones, and dilations past the image, on float32 copies): the same bits either way.
    g = torch.Generator().manual_seed(6)
    for b, c, h, w, p, dilation in ((2, 5, 6, 13, 5, 2), (1, 3, 9, 8, 3, 1), (1, 4, 3, 16, 7, 1), (1, 2, 3, 7, 3, 1),
                                    (1, 2, 9, 9, 3, 50)):
        f1, f2 = (torch.randn(b, c, h, w, generator=g).to(HALF[name]) for _ in range(2))
        want = vtt.correlation(f1.float(), f2.float(), p, dilation).to(HALF[name])
        assert torch.equal(vtt.correlation(f1, f2, p, dilation), want), (b, c, h, w, p, dilation)


@pytest.mark.parametrize("name", sorted(HALF))
def test_tile_stores_round_to_nearest_even(name):
    # One 8-wide row, C = 2, a 1 x 1 patch: out = a0 + a1 exactly in float32, rounded per lane.
    dtype, bits = HALF[name], {"bfloat16": 8, "float16": 11}[name]
    ulp, half = 2.0 ** (1 - bits), 2.0 ** -bits
    a0 = [1, 1 + ulp, 1, 1, float("nan"), float("inf"), -2.0 ** -12, 3]
    a1 = [half, half, half * 1.5, half * 0.5, 0, 0, 0, -3]
    f1 = torch.tensor([a0, a1]).view(1, 2, 1, 8).to(dtype)
    widened = f1.float()
    out = vtt.correlation(f1, torch.ones_like(f1), 1)
    want = (widened[:, 0] + widened[:, 1]).view(8).to(dtype)
    got = out.view(8)
    assert torch.equal(got.isnan(), want.isnan()) and bool(got[4].isnan())
    assert torch.equal(got[~got.isnan()], want[~want.isnan()])


def test_rounding_is_to_nearest_even_and_nan_stays_nan():
    # correlation with C = 2 and a 1 x 1 patch: out = a0 b0 + a1 b1, exact in float32.
    def correlate(a, b, dtype):
        f1 = torch.tensor(a, dtype=torch.float32).view(1, 2, 1, 1).to(dtype)
        f2 = torch.tensor(b, dtype=torch.float32).view(1, 2, 1, 1).to(dtype)
        return vtt.correlation(f1, f2, 1).float().item()

    for dtype, bits in ((torch.bfloat16, 8), (torch.float16, 11)):
        ulp, half = 2.0 ** (1 - bits), 2.0 ** -bits
        assert correlate([1, half], [1, 1], dtype) == 1.0                      # tie: to the even 1
        assert correlate([1 + ulp, half], [1, 1], dtype) == 1 + 2 * ulp        # tie: to the even 1 + 2 ulp
        assert correlate([1, half * 1.5], [1, 1], dtype) == 1 + ulp            # above the tie: up
        assert np.isnan(correlate([float("nan"), 0], [1, 1], dtype))


def test_numpy_float16():
    x = np.random.default_rng(0).standard_normal((8, 16, 3, 3)).astype(np.float16)
    assert vt.temporal_shift(x, 4).dtype == np.float16
    assert np.array_equal(vt.temporal_shift(x, 4), vt.temporal_shift(x.astype(np.float32), 4).astype(np.float16))
    f = x[:2]
    out = vt.correlation(f, f, 3)
    assert out.dtype == np.float16
    assert np.array_equal(out, vt.correlation(f.astype(np.float32), f.astype(np.float32), 3).astype(np.float16))


def test_mixed_dtypes_are_an_error():
    with pytest.raises(TypeError, match="f2 is bfloat16 but f1 is float32"):
        vtt.correlation(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2, dtype=torch.bfloat16), 1)


def test_failed_half_call_writes_nothing():
    x = np.ones((2, 4, 3, 3), np.float16)
    out = np.full((2, 3, 3, 3), 7, np.float16)  # P = 3 needs (2, 3, 3, 3, 3)
    with pytest.raises(ValueError):
        vt._C.correlation_forward(x, x, out, 3, 1)
    assert (out == 7).all()
    # A mask that is not 0/1 is found by the kernel, after the inputs were widened: still nothing written.
    n, t, d, dk = 2, 3, 4, 2
    features, mask = np.ones((n, t, d), np.float16), np.full((n, t), 0.5, np.float16)
    weights = [np.ones(shape, np.float16) for shape in [(d, dk), (d, dk), (d, d)] * 2]
    outputs = [np.full(shape, 7, np.float16) for shape in [(n, t)] * 3 + [(n, d)] * 2]
    with pytest.raises(ValueError, match=r"mask\[0, 0\] = 0.5 is not 0 or 1"):
        vt._C.dual_attention_matching_forward(features, features, mask, *weights, *outputs, None)
    assert all((o == 7).all() for o in outputs)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_every_module_trains_a_step_under_autocast(dtype):
    from test_compile import EveryModule, _inputs
    torch.manual_seed(0)
    model = EveryModule()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, labels = _inputs(), torch.tensor([[1.0, 0, 0, 1], [0, 1, 1, 0]])
    with torch.autocast("cpu", dtype=dtype):
        x = model.shift(inputs[0])
        assert model.shift.net(inputs[0]).dtype == dtype  # the convs run in half precision
        # The policy: the shift keeps its input's dtype, compute ops return float32.
        assert vtt.temporal_shift(x.to(dtype), 4).dtype == dtype
        assert vtt.correlation(x.to(dtype), x.to(dtype), 3).dtype == torch.float32
        loss = vtt.dam_loss(model(*inputs), labels)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
    optimizer.step()


def test_autocast_policy_is_registered_with_torch():
    """With torch.library.register_autocast (torch 2.5) the CPU policy is the dispatcher's; before
    it, run() applies it (test_autocast_policy_by_hand_equals_the_dispatchers)."""
    from vidtemporal import _optable
    if not hasattr(torch.library, "register_autocast"):
        assert _custom_ops.AUTOCAST_REGISTERED == []
        pytest.skip("torch before 2.5 registers no autocast policy for a custom op")
    assert "cpu" in _custom_ops.AUTOCAST_REGISTERED
    for op in _optable.OPS:
        for function in op.functions:
            if function.name not in _custom_ops.TORCH_FUNCTIONS:
                continue
            registered = torch._C._dispatch_has_kernel_for_dispatch_key(f"vidtemporal::{function.name}", "AutocastCPU")
            assert registered == (op.autocast == "float32"), function.name


@pytest.mark.parametrize("shortcut", [True, False], ids=["eager-shortcut", "custom-op"])
def test_autocast_policy_by_hand_equals_the_dispatchers(monkeypatch, shortcut):
    """Every function under autocast, its policy applied by run() (as where this torch registers
    none) and by the dispatcher: the same dtypes and bits."""
    from test_portable import cases
    if not shortcut:
        monkeypatch.setattr(_custom_ops, "EAGER_FUNCTIONS", {})

    def outputs(name, args):
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            results = _custom_ops.run(name, name, *args)
        results = results if isinstance(results, tuple) else (results,) if results is not None else ()
        return [r for r in results if r is not None] or [next(a for a in args if isinstance(a, torch.Tensor))]

    for name, args in cases(torch.bfloat16):
        if name not in _custom_ops.CUSTOM_OPS:
            continue
        expected = outputs(name, args)
        with monkeypatch.context() as patch:
            patch.setattr(_custom_ops, "AUTOCAST_REGISTERED", [])
            got = outputs(name, args)
        for e, g in zip(expected, got):
            assert e.dtype == g.dtype and torch.equal(e, g), name
        if name in _custom_ops.IN_FLOAT32:
            assert all(g.dtype != torch.bfloat16 for g in got), name
