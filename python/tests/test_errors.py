"""Errors carry what went wrong as data: the function the user called (``function``), the argument
at fault as that function names it (``argument``, "" for none) and what is wrong (``detail``), and
say "function: detail". The library reports the argument (vt_error.argument), the extension and
the Python checks build the exception, and the public function puts its own name on it once.
One name per argument at every layer: a backward's output gradient is ``grad`` in C and numpy."""
import numpy as np
import pytest

import vidtemporal as vt


def parts(info):
    error = info.value
    assert str(error) == f"{error.function}: {error.detail}"
    return error.function, error.argument, error.detail


def test_a_library_error_names_the_public_function_and_the_argument():
    x = np.zeros((10, 8, 2, 2), np.float32)
    with pytest.raises(ValueError) as info:
        vt.temporal_shift(x, 8)
    function, argument, detail = parts(info)
    assert (function, argument) == ("temporal_shift", "x")
    assert detail.startswith("x.shape[0]=10 (N*T) is not a multiple of")


def test_a_backward_gradient_is_grad_in_the_message_and_the_argument():
    g = np.zeros((10, 8, 2, 2), np.float32)
    with pytest.raises(ValueError) as info:
        vt.temporal_shift_backward(g, g.copy(), 8)
    function, argument, detail = parts(info)
    assert (function, argument) == ("temporal_shift_backward", "grad") and detail.startswith("grad.shape[0]=10")
    f = np.zeros((2, 3, 4, 4), np.float32)
    with pytest.raises(ValueError) as info:
        vt.correlation_backward(np.zeros((2, 5, 3, 4, 4), np.float32), f, f, 5)
    function, argument, detail = parts(info)
    assert (function, argument) == ("correlation_backward", "grad") and detail.startswith("grad.shape[2]=3")


def test_an_unsupported_dtype_is_both_kinds_with_the_same_parts():
    with pytest.raises(vt.UnsupportedError) as info:
        vt.temporal_shift(np.zeros((8, 8, 2, 2), np.int32), 8)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert parts(info)[:2] == ("temporal_shift", "x")


def test_python_checks_and_the_extension_give_the_same_parts():
    x = np.zeros((8, 8, 2, 2), np.float32)
    with pytest.raises(TypeError) as info:
        vt.temporal_shift(x, "8")
    assert parts(info)[:2] == ("temporal_shift", "num_segments")
    with pytest.raises(TypeError) as info:
        vt._C.temporal_shift_forward(x, x.copy(), 8, 8, "0")
    assert parts(info)[:2] == ("temporal_shift_forward", "mode")
    with pytest.raises(TypeError) as info:
        vt.temporal_shift([1.0], 8)
    assert parts(info)[:2] == ("temporal_shift", "x")


def test_a_huge_int_for_a_float_is_a_value_error_naming_it():
    corr = np.zeros((1, 3, 3, 2, 2), np.float32)
    with pytest.raises(ValueError) as info:
        vt.kernel_soft_argmax(corr, sigma=10 ** 400)
    assert parts(info)[:2] == ("kernel_soft_argmax", "sigma") and "too large for a float" in str(info.value)
    displacement, confidence = np.zeros((1, 2, 2, 2), np.float32), np.zeros((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError) as info:
        vt._C.kernel_soft_argmax_forward(corr, displacement, confidence, 5.0, -10 ** 400)
    assert parts(info)[:2] == ("kernel_soft_argmax_forward", "temperature")


def test_torch_errors_are_named_once_after_the_public_function():
    torch = pytest.importorskip("torch")
    import vidtemporal.torch as vtt
    x = torch.zeros(10, 8, 2, 2)
    with pytest.raises(ValueError) as info:
        vtt.temporal_shift(x, 8)
    assert parts(info)[:2] == ("temporal_shift", "x")
    with pytest.raises(ValueError) as info:
        vtt.global_temporal_attention(torch.zeros(16, 6, 5), torch.zeros(4, 4, 8, 8), 8)
    assert parts(info)[:2] == ("global_temporal_attention", "v")


def test_a_wrapped_convolution_with_other_channels_is_the_modules_error():
    torch = pytest.importorskip("torch")
    import vidtemporal.torch as vtt
    shift = vtt.TemporalShift(torch.nn.Conv2d(4, 4, 1), num_segments=2)
    with pytest.raises(ValueError) as info:
        shift(torch.zeros(4, 3, 2, 2))
    function, argument, detail = parts(info)
    assert (function, argument) == ("TemporalShift", "x") and "built for 4 channels" in detail


def test_torchs_own_errors_pass_through_untouched():
    torch = pytest.importorskip("torch")
    import vidtemporal.torch as vtt
    from vidtemporal import _errors
    x = torch.zeros(8, 8, 2, 2, requires_grad=True)
    y = vtt.temporal_shift(x, 8)
    with pytest.raises(RuntimeError) as info:
        y.backward()   # torch's: grad can be implicitly created only for scalar outputs
    assert not _errors.ours(info.value)
