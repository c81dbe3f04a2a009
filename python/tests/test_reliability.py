"""The Python layers' promises, one named test per case that once broke them: every bad argument
raises TypeError or ValueError naming the public function and the argument (never OverflowError,
IndexError, AttributeError, torch's RuntimeError, a NaN result or a warning), outputs are not
sized before the arguments are checked, and an in-place call that raises writes nothing.
(python/tests/test_fuzz.py sweeps every function; these pin the cases found.)"""
import numpy as np
import pytest

import vidtemporal as vt

try:
    import torch
    import vidtemporal.torch as vtt
except ImportError:
    torch = vtt = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def frames():
    return np.random.default_rng(0).standard_normal((4, 8, 2, 2)).astype(np.float32)


def test_ints_outside_int64_are_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"^temporal_shift: num_segments=9223372036854775808 is outside"):
        vt.temporal_shift(frames(), 2 ** 63)
    with pytest.raises(ValueError, match=r"^set_num_threads: n=18446744073709551616 is outside"):
        vt.set_num_threads(2 ** 64)
    with pytest.raises(ValueError, match=r"^set_num_threads: n=2147483648 is outside"):
        vt.set_num_threads(2 ** 31)


@needs_torch
def test_torch_ints_outside_int64_are_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"^temporal_shift: num_segments=9223372036854775808 is outside"):
        vtt.temporal_shift(torch.from_numpy(frames()), 2 ** 63)


@needs_torch
def test_wrong_ranks_name_the_argument():
    k = v = torch.rand(2, 3, 5)
    with pytest.raises(ValueError, match=r"^spatial_attention: q must have 3 dims"):
        vtt.spatial_attention(torch.rand(5), k, v)
    n, t, d, dk = 2, 3, 4, 2
    args = [torch.rand(n, t, d), torch.rand(n, t, d), torch.ones(n, t)] + [torch.rand(*s) for s in [(d, dk), (d, dk),
                                                                                                    (d, d)] * 2]
    args[3] = torch.rand(d * dk)
    with pytest.raises(ValueError, match=r"^dual_attention_matching: wq_a must have 2 dims"):
        vtt.dual_attention_matching(*args)


@needs_torch
def test_module_arguments_name_the_module():
    dam = vtt.DualAttentionMatching(audio_dim=6, visual_dim=5, dim=4, key_dim=2)
    with pytest.raises(TypeError, match=r"^DualAttentionMatching: mask must be a real torch.Tensor, got dict"):
        dam(torch.rand(2, 3, 6), torch.rand(2, 3, 5), mask={})
    for build, pattern in [(lambda: vtt.DualAttentionMatching(audio_dim=-1), r"^DualAttentionMatching: audio_dim=-1"),
                           (lambda: vtt.MotionSqueeze(-4, 8), r"^MotionSqueeze: in_channels=-4"),
                           (lambda: vtt.GlobalTemporalAttention(64, -8), r"^GlobalTemporalAttention: num_segments=-8"),
                           (lambda: vtt.TemporalInterlace(64, 8, groups=-2), r"^TemporalInterlace: groups=-2"),
                           (lambda: vtt.TemporalShift(num_segments=-1), r"^TemporalShift: num_segments=-1")]:
        with pytest.raises(ValueError, match=pattern):
            build()


@needs_torch
def test_outputs_are_not_sized_before_the_arguments_are_checked():
    f = torch.rand(1, 2, 4, 5)
    with pytest.raises(ValueError, match=r"^correlation: the arguments make out of shape \(1, 2147483649, 2147483649, "
                                         r"4, 5\) \(B, P, P, H, W\), which overflows"):
        vtt.correlation(f, f, 2 ** 31 + 1)


def test_scalar_conversions_name_the_argument():
    corr = np.zeros((1, 3, 3, 2, 2), np.float32)
    with pytest.raises(TypeError, match=r"^kernel_soft_argmax: sigma must be a real number, got str"):
        vt.kernel_soft_argmax(corr, sigma="abc")
    with pytest.raises(TypeError, match=r"^kernel_soft_argmax: temperature must be a real number, got NoneType"):
        vt.kernel_soft_argmax(corr, temperature=None)
    with pytest.raises(TypeError, match=r"^set_num_threads: n must be an int, got NoneType"):
        vt.set_num_threads(None)
    with pytest.raises(TypeError, match=r"^motion_squeeze: normalize must be True or False, got ndarray"):
        vt.motion_squeeze(np.zeros((2, 3, 3, 3), np.float32), 2, 3, normalize=np.array([1, 2]))
    with pytest.raises(TypeError, match=r"^temporal_shift: mode must be one of \['bidirectional', 'unidirectional'\], "
                                        r"got list"):
        vt.temporal_shift(frames(), 2, mode=[])


def test_library_errors_name_the_python_function():
    with pytest.raises(ValueError) as error:
        vt.temporal_shift(frames(), 3)   # N*T = 4 is not a multiple of 3
    assert str(error.value).startswith("temporal_shift: ") and "vt_temporal_shift_forward" not in str(error.value)


def test_dam_loss_backward_refuses_none_and_complex_gradients():
    p, labels = np.full((2, 3), 0.5, np.float32), np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match=r"^dam_loss_backward: grad must be a real number, got NoneType"):
        vt.dam_loss_backward(None, p, labels)
    with pytest.raises(TypeError, match=r"^dam_loss_backward: grad must be a real number, got complex"):
        vt.dam_loss_backward(1j, p, labels)


@needs_torch
def test_inplace_shift_of_a_leaf_that_requires_grad_writes_nothing():
    x = torch.from_numpy(frames()).requires_grad_()
    before = x.detach().clone()
    with pytest.raises(ValueError, match=r"^temporal_shift_: x is a leaf tensor that requires grad"):
        vtt.temporal_shift_(x, 2)
    assert torch.equal(x.detach(), before)
    view = x[:2]
    with pytest.raises(ValueError, match=r"^temporal_shift_: x is a view of a leaf tensor that requires grad"):
        vtt.temporal_shift_(view, 2)
    assert torch.equal(x.detach(), before)
    with torch.no_grad():
        vtt.temporal_shift_(x, 2)   # allowed where autograd does not record
    assert not torch.equal(x.detach(), before)
