"""Checks shared by the torch ops and modules."""
import functools

import torch

from .._errors import error


# The devices with an autocast (asked once: torch.compile of torch 2.4 cannot trace the question).
AUTOCAST_DEVICES = [d for d in ("cpu", "cuda", "xpu", "mps") if torch.amp.is_autocast_available(d)]


def require_tensor(tensor, name, fn):
    """A torch.Tensor on any device (CPU tensors run on the Swift kernels, others in plain torch)."""
    if not isinstance(tensor, torch.Tensor):
        raise error(TypeError, fn, name, f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    return tensor


def require_input(x, name, fn, layout, channels=None, num_segments=None, last=None, module=None):
    """A module's input, checked before any of its layers runs so that a wrong one is named by
    the module: a floating-point tensor of layout's dims, with `channels` at dim 1 (or `last` at
    the last dim), N*T a multiple of `num_segments`, and the dtype (unless autocast casts) and
    device of `module`'s parameters."""
    if not isinstance(x, torch.Tensor):
        raise error(TypeError, fn, name, f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise error(TypeError, fn, name, f"{name} must be a floating-point tensor, got {x.dtype}")
    parameter = _first_parameter(module)
    # Under autocast the layers cast for themselves: only the device must match.
    device = x.device.type
    autocast = device in AUTOCAST_DEVICES and torch.is_autocast_enabled(device)
    if parameter is not None and (x.device != parameter.device or (x.dtype != parameter.dtype and not autocast)):
        raise error(TypeError, fn, name, f"{name} is {x.dtype} on {x.device} but the module's parameters are "
                                   f"{parameter.dtype} on {parameter.device}; move one to the other (module.to(x))")
    ndim = layout.count(",") + 1
    if x.dim() != ndim:
        raise error(ValueError, fn, name, f"{name} must have {ndim} dims {layout}, got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise error(ValueError, fn, name,
                    f"{name}.shape[1]={x.shape[1]}, but the module was built for {channels} channels")
    if last is not None and x.shape[-1] != last:
        raise error(ValueError, fn, name,
                    f"{name}.shape[-1]={x.shape[-1]}, but the module was built for {last} features")
    if num_segments is not None and x.shape[0] % num_segments:
        raise error(ValueError, fn, name,
                    f"{name}.shape[0]={x.shape[0]} (N*T) is not a multiple of num_segments={num_segments}")
    return x


def _first_parameter(module):
    # A loop, not next(iterator, default), which torch.compile of torch 2.4 cannot trace.
    for parameter in module.parameters() if module is not None else ():
        return parameter
    return None


def builds(fn):
    """For a module's __init__: parameters too large to allocate (or to count) are a MemoryError
    naming the module `fn`, not torch's RuntimeError."""
    def decorate(init):
        @functools.wraps(init)
        def build(self, *args, **kwargs):
            try:
                init(self, *args, **kwargs)
            except RuntimeError as failure:
                text = str(failure)
                if "alloc" not in text and "overflow" not in text:
                    raise
                raise error(MemoryError, fn, "", f"cannot allocate its parameters: {text.splitlines()[0]}") from None
        return build
    return decorate
