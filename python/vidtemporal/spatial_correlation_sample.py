"""spatial-correlation-sampler's correlation on numpy arrays, with its whole argument set::

    out[b, p, q, h, w] = Σ_c Σ_{i<KH} Σ_{j<KW} input1[b,c,y,x] * input2[b,c, y + su, x + sv],
    y = h*stride_h - padding_h + i*dilation_h,  x = w*stride_w - padding_w + j*dilation_w,
    su = (p - (PH-1)//2) * dilation_patch_h,  sv = (q - (PW-1)//2) * dilation_patch_w

where (PH, PW) = patch_size (odd or even: an even patch reaches one further forward than back),
a term counts only where both samples lie in the image, and there is no normalisation. The
output is (B, PH, PW, OH, OW) with OH = (H + 2*padding_h - ((KH-1)*dilation_h + 1)) // stride_h
+ 1 (truncating towards zero, as the peer sizes it), and OW alike. Every argument is an int or
an (h, w) pair. kernel_size=1, stride=1, padding=0 with an odd square patch is ``correlation``,
the same kernels.
"""
from . import _args, _glue
from ._errors import error
from ._outputs import NUMPY

# The arguments in the peer's order, each with its smallest value (None: any int).
ARGUMENTS = (("kernel_size", 0), ("patch_size", 0), ("stride", 1), ("padding", None), ("dilation", 1),
             ("dilation_patch", None))


def pair(value, name, fn, minimum=None):
    """An int or an (h, w) pair of ints -> (h, w), each at least `minimum`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise error(ValueError, fn, name, f"{name} must be an int or a pair, got {value!r}")
        values = tuple(_args.integer(v, name, fn) for v in value)
    else:
        values = (_args.integer(value, name, fn),) * 2
    if minimum is not None and min(values) < minimum:
        raise error(ValueError, fn, name, f"{name}={value!r} must be >= {minimum}")
    return values


def scalars(fn, *values):
    """The C function's twelve scalars (kernel_h, kernel_w, ..., dilation_patch_w) of the six
    arguments, checked under their public names."""
    return [v for (name, minimum), value in zip(ARGUMENTS, values) for v in pair(value, name, fn, minimum)]


def spatial_correlation_sample(input1, input2, kernel_size=1, patch_size=1, stride=1, padding=0, dilation=1,
                               dilation_patch=1):
    """``input1, input2 (B, C, H, W)`` -> ``(B, PH, PW, OH, OW)``."""
    fn = "spatial_correlation_sample"
    arguments = scalars(fn, kernel_size, patch_size, stride, padding, dilation, dilation_patch)
    return _glue.spatial_correlation_sample_forward(fn, NUMPY, input1, input2, *arguments)[0]


def spatial_correlation_sample_backward(grad, input1, input2, kernel_size=1, patch_size=1, stride=1, padding=0,
                                        dilation=1, dilation_patch=1):
    """Gradients ``(grad_input1, grad_input2)`` of ``spatial_correlation_sample``."""
    fn = "spatial_correlation_sample_backward"
    arguments = scalars(fn, kernel_size, patch_size, stride, padding, dilation, dilation_patch)
    return _glue.spatial_correlation_sample_backward(fn, NUMPY, grad, input1, input2, *arguments)
