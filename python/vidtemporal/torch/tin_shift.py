"""mmcv's ``tin_shift(input, shift)`` with its layout, so code written for it runs with an import
change: ``input (N, T, C, HW)``, integer ``shift (N, G)``; channel group g of clip n moves by
``shift[n, g]`` frames, ``out[n, t] = input[n, t - shift]``, zeros outside the clip.

The gradient is the exact adjoint (``grad_input[n, t] = grad[n, t + shift]``). mmcv's CUDA
backward applies the forward's index map instead, so its gradient is mirrored in time whenever
a shift is non-zero (shift +1, gradient of ones, T = 4: correct ``[1, 1, 1, 0]``, mmcv
``[0, 1, 1, 1]``)."""
import torch

from .._errors import error


def tin_shift(input, shift):
    fn = "tin_shift"
    if not isinstance(input, torch.Tensor) or not isinstance(shift, torch.Tensor):
        raise error(TypeError, fn, "input" if not isinstance(input, torch.Tensor) else "shift",
                    "input and shift must be torch.Tensors")
    if input.dim() != 4 or not input.is_floating_point():
        raise error(ValueError, fn, "input", f"input must be a floating-point tensor (N, T, C, HW), got "
                                       f"{input.dtype} of shape {tuple(input.shape)}")
    n, t, c, hw = input.shape
    if shift.dim() != 2 or shift.shape[0] != n or shift.is_floating_point() or shift.is_complex():
        raise error(ValueError, fn, "shift",
                    f"shift must be an integer tensor (N, G) with N={n}, got {shift.dtype} of shape "
                    f"{tuple(shift.shape)}")
    groups = shift.shape[1]
    if groups < 1 or c % groups:
        raise error(ValueError, fn, "input", f"input.shape[2]={c} (C) is not a multiple of shift.shape[1]={groups} (G)")
    if shift.device != input.device:
        raise error(ValueError, fn, "shift", f"shift is on {shift.device} but input on {input.device}")
    source = torch.arange(t, device=input.device).view(1, t, 1) - shift.long().view(n, 1, groups)  # (N, T, G)
    inside = ((source >= 0) & (source < t)).to(input.dtype)
    grouped = input.reshape(n, t, groups, (c // groups) * hw)
    index = source.clamp(0, max(t - 1, 0)).unsqueeze(-1).expand(-1, -1, -1, grouped.shape[-1])
    # gather's gradient scatters back along the same map: the exact adjoint.
    return (torch.gather(grouped, 1, index) * inside.unsqueeze(-1)).reshape(n, t, c, hw)
