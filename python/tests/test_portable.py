"""The plain-torch implementation that tensors on other devices run (vidtemporal.torch.portable)
against the Swift kernels, called directly on CPU tensors: every function of the op table,
bit for bit for data movement, at the tolerance table's "portable" entry otherwise, gradients
too (the portable backward is the vector-Jacobian product of its forward)."""
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402
from vidtemporal import _optable  # noqa: E402
from vidtemporal.torch import _custom_ops, portable  # noqa: E402

from tolerances import tolerance  # noqa: E402

EXACT = {"temporal_shift_forward", "temporal_shift_backward", "temporal_shift_inplace_forward",
         "temporal_shift_inplace_backward", "cml_localize"}


def cases(dtype):
    g = torch.Generator().manual_seed(3)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=dtype)

    x, offsets, weights = randn(16, 32, 3, 3), randn(2, 2) * 2, torch.rand(2, 8, 2, generator=g, dtype=dtype)
    v, attn = randn(16, 8, 5), randn(2, 2, 8, 8)
    pooled_x, assign, r = randn(3, 4, 6), randn(3, 2, 6), randn(3, 4, 2)
    q, k, values = randn(2, 3, 7), randn(2, 3, 7), randn(2, 4, 7)
    f1, f2 = randn(2, 3, 5, 6), randn(2, 3, 5, 6)
    corr, video = randn(2, 5, 5, 4, 3), randn(8, 4, 5, 6)
    n, t, d, dk = 3, 5, 4, 2
    audio, visual = randn(n, t, d), randn(n, t, d)
    mask = torch.tensor([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=dtype)
    projections = [randn(d, dk), randn(d, dk), randn(d, d), randn(d, dk), randn(d, dk), randn(d, d)]
    dam = [audio, visual, mask, *projections]
    dam_grads = [randn(n, t), None, randn(n, t), randn(n, d), randn(n, d)]
    p, labels = torch.rand(10, generator=g, dtype=dtype), torch.rand(10, generator=g, dtype=dtype)
    yield from [
        *[(name, (x, 8, 8, mode)) for name in ("temporal_shift_forward", "temporal_shift_backward")
          for mode in (0, 1)],
        ("temporal_shift_inplace_forward", (x.clone(), 4, 4, 0)),
        ("temporal_shift_inplace_backward", (x.clone(), 4, 4, 1)),
        ("temporal_interlace_forward", (x, offsets, weights, 8, 4)),
        ("temporal_interlace_forward", (x, torch.tensor([[1.0, -2.0], [0.0, 9.5]], dtype=dtype), weights, 8, 4)),
        ("temporal_interlace_backward", (randn(16, 32, 3, 3), x, offsets, weights, 8, 4, [True, True, True])),
        ("temporal_interlace_backward", (randn(16, 32, 3, 3), x, offsets, weights, 8, 4, [False, True, False])),
        ("global_temporal_attention_forward", (v, attn, 8)),
        ("global_temporal_attention_backward", (randn(16, 8, 5), v, attn, 8, [True, True])),
        ("region_pool_forward", (pooled_x, assign, True)),
        ("region_pool_forward", (pooled_x, assign, False)),
        ("region_pool_backward", (r, pooled_x, assign, True, [True, True])),
        ("region_unpool_forward", (r, assign)),
        ("region_unpool_backward", (pooled_x, r, assign, [True, True])),
        ("spatial_attention_forward", (q, k, values, [True])),
        ("spatial_attention_backward", (randn(2, 4, 7), q, k, values, None, [True, True, True])),
        ("correlation_forward", (f1, f2, 5, 2)),
        ("correlation_forward", (f1, f2, 3, 2 ** 40)),  # only the centre reaches the image
        ("correlation_backward", (randn(2, 5, 5, 5, 6), f1, f2, 5, 2, [True, True])),
        # kernel 3, patch (2, 3), stride (2, 1), padding 1, dilation (1, 2), dilation_patch (2, 1); then the
        # correlation's own case.
        ("spatial_correlation_sample_forward", (f1, f2, 3, 3, 2, 3, 2, 1, 1, 1, 1, 2, 2, 1)),
        ("spatial_correlation_sample_forward", (f1, f2, 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, 2, 2)),
        ("spatial_correlation_sample_backward", (randn(2, 2, 3, 3, 4), f1, f2, 3, 3, 2, 3, 2, 1, 1, 1, 1, 2, 2, 1,
                                                 [True, True])),
        ("kernel_soft_argmax_forward", (corr, 5.0, 10.0)),
        ("kernel_soft_argmax_forward", (randn(2, 1, 1, 4, 3), 5.0, 10.0)),
        ("kernel_soft_argmax_backward", (randn(2, 2, 4, 3), randn(2, 1, 4, 3), corr, 5.0, 10.0)),
        ("kernel_soft_argmax_backward", (None, randn(2, 1, 4, 3), corr, 5.0, 10.0)),
        *[(name, args) for normalize in (True, False) for name, args in [
            ("motion_squeeze_forward", (video, 4, 5, 5.0, 10.0, normalize)),
            ("motion_squeeze_backward", (randn(8, 3, 5, 6), video, 4, 5, 5.0, 10.0, normalize))]],
        ("motion_squeeze_forward", (video, 1, 3, 5.0, 10.0, True)),
        ("dual_attention_matching_forward", (*dam, [False])),
        ("dual_attention_matching_backward", (*dam_grads, *dam, None, [True] * 8)),
        ("dam_loss_forward", (p, labels)),
        ("dam_loss_backward", (torch.tensor(1.7, dtype=dtype), p, labels, [True, True])),
        ("cml_localize", (audio[:, 0].contiguous(), visual, 2)),
        ("cml_localize", (torch.zeros(2, 0, dtype=dtype), torch.zeros(2, 6, 0, dtype=dtype), 3)),
    ]


def _outputs(name, args, implementation):
    args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    results = implementation(args)
    if results is None or results == ():  # in place: the written tensor
        return [next(a for a in args if isinstance(a, torch.Tensor))]
    return list(results) if isinstance(results, tuple) else [results]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_portable_equals_the_kernels(dtype):
    rtol, atol = tolerance("portable", {torch.float32: "float32", torch.float64: "float64"}[dtype])
    covered = set()
    for name, args in cases(dtype):
        covered.add(name)
        swift = _outputs(name, args, lambda a: _custom_ops.TORCH_FUNCTIONS[name].run(a, call=True))
        torch_only = _outputs(name, args, lambda a: portable.run(name, a))
        assert len(swift) == len(torch_only), name
        for index, (expected, got) in enumerate(zip(swift, torch_only)):
            if expected.numel() == 0:  # not wanted (returned empty by the kernels, None here)
                continue
            assert got is not None and got.shape == expected.shape and got.dtype == expected.dtype, (name, index)
            if name in EXACT:
                assert torch.equal(got, expected), (name, index)
            else:
                torch.testing.assert_close(got, expected, rtol=rtol, atol=atol, msg=f"{name} output {index}")
    missing = {n for n, f in _optable.FUNCTIONS.items() if not f.handle and not f.creates} - covered
    assert not missing, f"not compared: {missing}"


def test_every_op_has_a_kernel_for_every_device():
    for name in _custom_ops.CUSTOM_OPS:
        assert torch._C._dispatch_has_kernel_for_dispatch_key(f"vidtemporal::{name}", "CompositeExplicitAutograd"), name


def test_stream_in_torch_equals_the_library_stream():
    clip = torch.randn(6, 16, 3, 3, dtype=torch.float64)
    library, in_torch = vtt.TemporalShiftStream(fold_div=4), vtt.TemporalShiftStream(fold_div=4)
    for t in range(6):
        frame = clip[t:t + 1]
        assert torch.equal(in_torch._step_in_torch(frame, None, "step"), library.step(frame))
    out = torch.empty(1, 16, 3, 3, dtype=torch.float64)
    assert in_torch._step_in_torch(clip[:1], out, "step") is out
    in_torch.reset()
    # After reset() the torch-side cache is gone: the next CPU frame runs on the library again,
    # from a zero cache.
    assert torch.equal(in_torch.step(clip[:1]), vtt.temporal_shift(clip[:1], 1, 4, "unidirectional"))


def test_a_network_of_every_module_moves_to_another_device():
    # Meta tensors carry no data: the network runs its ops' size functions end to end, which
    # proves no module holds a CPU-only step.
    from test_compile import EveryModule, _inputs
    model = EveryModule().to("meta")
    p = model(*(x.to("meta") for x in _inputs()))
    assert p.device.type == "meta" and p.shape == (2, 4)
