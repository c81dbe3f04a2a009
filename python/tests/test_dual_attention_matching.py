"""DAM at the numpy level: values against the masked-attention reference over N, T (incl. 1), D,
Dk and masks with 0, 1 and all segments; empty regions; the loss at p = 0 and 1; saturated
logits; cml_localize hand cases; the AVE protocol helpers; bad input."""
import itertools

import numpy as np
import pytest

import vidtemporal as vt
import reference
from vidtemporal import ave
from tolerances import tolerance

DTYPES = [np.float32, np.float64]


def problem(rng, n, t, d, dk, dtype, mask_kind="random", scale=1.0):
    audio, visual = (rng.standard_normal((n, t, d)) * scale for _ in range(2))
    mask = {"random": rng.integers(0, 2, (n, t)), "none": np.zeros((n, t)), "one": np.eye(t)[rng.integers(0, t, n)],
            "all": np.ones((n, t))}[mask_kind]
    weights = [rng.standard_normal(shape) / d ** 0.5 for shape in [(d, dk), (d, dk), (d, d)] * 2]
    return [a.astype(dtype) for a in [audio, visual, mask, *weights]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_values_equal_reference(dtype):
    rng = np.random.default_rng(0)
    rtol, atol = tolerance("dual_attention_matching", dtype)
    for (n, t), (d, dk), kind in itertools.product([(1, 1), (3, 4), (2, 10)], [(3, 2), (16, 8)],
                                                   ["random", "none", "one", "all"]):
        inputs = problem(rng, n, t, d, dk, dtype, kind)
        label = f"N={n} T={t} D={d} Dk={dk} mask={kind} {np.dtype(dtype).name}"
        got = vt.dual_attention_matching(*inputs)
        want = reference.dual_attention_matching(*[a.astype(np.float64) for a in inputs])
        for i, (g, w) in enumerate(zip(got, want)):
            assert g.dtype == dtype, label
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {i} {label}")


def test_empty_region_gives_zero_global_and_finite_gradients():
    rng = np.random.default_rng(1)
    audio, visual, mask, *weights = problem(rng, 2, 5, 6, 3, np.float64, "none")
    p, p_audio, p_visual, global_audio, global_visual = vt.dual_attention_matching(audio, visual, mask, *weights)
    assert not global_audio.any() and not global_visual.any()
    np.testing.assert_array_equal(p, 0.5)
    grads = vt.dual_attention_matching_backward(np.ones_like(p), None, None, None, None, audio, visual, mask, *weights)
    assert len(grads) == 9 and all(np.isfinite(g).all() for g in grads)
    assert grads[2].shape == mask.shape and not grads[2].any()     # the mask gets a zero gradient


def test_saturated_logits_stay_finite():
    rng = np.random.default_rng(2)
    inputs = problem(rng, 3, 6, 8, 4, np.float32, "random", scale=1e3)
    outputs = vt.dual_attention_matching(*inputs)
    assert all(np.isfinite(o).all() for o in outputs)
    grads = vt.dual_attention_matching_backward(*[np.ones_like(o) for o in outputs], *inputs)
    assert all(np.isfinite(g).all() for g in grads)


def test_backward_adjoint_in_the_output_gradients():
    """The backward is linear in the output gradients: one call with g1 + g2 equals two calls."""
    rng = np.random.default_rng(3)
    inputs = problem(rng, 2, 5, 6, 3, np.float64)
    outputs = vt.dual_attention_matching(*inputs)
    g1 = [rng.standard_normal(o.shape) for o in outputs]
    g2 = [rng.standard_normal(o.shape) for o in outputs]
    both = vt.dual_attention_matching_backward(*[a + b for a, b in zip(g1, g2)], *inputs)
    apart = [a + b for a, b in zip(vt.dual_attention_matching_backward(*g1, *inputs),
                                   vt.dual_attention_matching_backward(*g2, *inputs))]
    for x, y in zip(both, apart):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


def test_loss_is_safe_at_zero_and_one():
    p = np.array([0.0, 1.0, 0.25, 1.0, 0.0])
    labels = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    loss = vt.dam_loss(p, labels)
    assert loss == pytest.approx((-np.log(0.25) + 200) / 5)      # logs clamped at -100, like torch
    grad_p, grad_labels = vt.dam_loss_backward(1.0, p, labels)
    assert np.isfinite(grad_p).all() and np.isfinite(grad_labels).all()
    p32 = np.array([[0.5, 0.9]], np.float32)
    assert vt.dam_loss(p32, np.array([[1, 1]], np.float32)).dtype == np.float32


def test_cml_localize_hand_cases():
    other = np.array([[0.0], [0.0], [5.0], [5.0], [0.0]])
    assert vt.cml_localize(np.array([1.0]), other, 2) == 2
    assert vt.cml_localize(np.array([1.0]), np.full((5, 1), 3.0), 3) == 0       # ties: the first start
    assert vt.cml_localize(np.array([1.0]), other, 5) == 0                      # length = T
    batched = vt.cml_localize(np.array([[1.0], [-1.0]]), np.stack([other, other]), 2)
    assert batched.tolist() == [2, 0] and batched.dtype == np.int64


def test_ave_protocol_helpers():
    # The full-length event (index 2) is skipped; of the others, one start of two is exact.
    assert ave.cml_accuracy([0, 3, 0], [0, 2, 0], [4, 3, 10], 10) == 0.5
    assert ave.cml_chance([10, 9], 10) == 0.5
    p = np.array([[0.9, 0.2, 0.7]])
    assert ave.event_localization_accuracy(p, [3], [[1, 0, 0]], [3]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="nothing to count"):
        ave.cml_accuracy([0], [0], [10], 10)


def test_bad_input():
    rng = np.random.default_rng(4)
    audio, visual, mask, *weights = problem(rng, 2, 4, 6, 3, np.float32)
    with pytest.raises(ValueError, match=r"visual.shape\[1\]=5 does not match audio.shape\[1\]=4 \(T\)"):
        vt.dual_attention_matching(audio, np.zeros((2, 5, 6), np.float32), mask, *weights)
    with pytest.raises(ValueError, match=r"visual.shape\[2\]=7 does not match audio.shape\[2\]=6 \(D\)"):
        vt.dual_attention_matching(audio, np.zeros((2, 4, 7), np.float32), mask, *weights)
    bad = mask.copy()
    bad[1, 2] = 0.5
    with pytest.raises(ValueError, match=r"mask\[1, 2\] = 0.5 is not 0 or 1"):
        vt.dual_attention_matching(audio, visual, bad, *weights)
    with pytest.raises(ValueError, match=r"mask.shape\[1\]=3 does not match audio.shape\[1\]=4 \(T\)"):
        vt.dual_attention_matching(audio, visual, mask[:, :3].copy(), *weights)
    with pytest.raises(ValueError, match=r"wk_a.shape\[1\]=4 does not match wq_a.shape\[1\]=3 \(DK\)"):
        vt.dual_attention_matching(audio, visual, mask, weights[0], np.zeros((6, 4), np.float32), *weights[2:])
    with pytest.raises(ValueError, match=r"wv_v.shape\[1\]=3 does not match audio.shape\[2\]=6 \(D\)"):
        vt.dual_attention_matching(audio, visual, mask, *weights[:5], np.zeros((6, 3), np.float32))
    with pytest.raises(TypeError, match="mask is float64 but audio is float32"):
        vt.dual_attention_matching(audio, visual, mask.astype(np.float64), *weights)
    with pytest.raises(ValueError, match=r"cml_localize: length=6 must be in \[1, T=5\]"):
        vt.cml_localize(np.array([1.0]), np.zeros((5, 1)), 6)
    with pytest.raises(ValueError, match=r"cml_localize: length=0 must be >= 1"):
        vt.cml_localize(np.array([1.0]), np.zeros((5, 1)), 0)
    with pytest.raises(ValueError, match=r"p\[1\] = 1.5 is not in \[0, 1\]"):
        vt.dam_loss(np.array([0.5, 1.5]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"dam_loss: labels has shape \(1,\) but p has shape \(2,\); they must match"):
        vt.dam_loss(np.array([0.5, 0.5]), np.array([1.0]))
    from vidtemporal import _C
    with pytest.raises(TypeError, match="loss is float32 but p is float64"):
        _C.dam_loss_forward(np.array([0.5]), np.array([1.0]), np.zeros((), np.float32))
    with pytest.raises(ValueError, match=r"loss must be 0-d \(one element\), got shape \(0,\)"):
        _C.dam_loss_forward(np.array([0.5]), np.array([1.0]), np.zeros(0))
    with pytest.raises(ValueError, match=r"dam_loss_backward: grad must be 0-d \(one element\), got shape \(0,\)"):
        _C.dam_loss_backward(np.zeros(0), np.array([0.5]), np.array([1.0]), np.empty(1), np.empty(1))
    with pytest.raises(TypeError, match="start must be int64, got float64"):
        _C.cml_localize(np.ones((1, 1)), np.ones((1, 3, 1)), np.zeros(1), 1)
    with pytest.raises(TypeError, match="start cannot be exported through DLPack"):
        _C.cml_localize(np.ones((1, 1)), np.ones((1, 3, 1)), np.zeros(1, ">i8"), 1)
