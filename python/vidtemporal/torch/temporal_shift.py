"""Temporal shift (TSM) for PyTorch: the autograd op, the in-place variant, the official-style
``TemporalShift`` wrapper and ``make_temporal_shift`` for torchvision-style ResNets."""
import torch
from torch import nn

from .. import _args
from .._errors import checked, error
from . import _private
from ..temporal_shift import TemporalShiftStream as _NumpyStream
from ..temporal_shift import params as _params
from ._custom_ops import CUSTOM_OPS, TORCH, native_layout, run
from ._tensors import require_tensor, require_input


def temporal_shift(x, num_segments, fold_div=8, mode="bidirectional"):
    """Temporal shift of ``x (N*T, C, H, W)`` with autograd (see ``vidtemporal.temporal_shift``)."""
    fn = "temporal_shift"
    require_tensor(x, "x", fn)
    return run(fn, "temporal_shift_forward", native_layout(x, "temporal_shift_forward"),
               *_params(fn, num_segments, fold_div, mode))


class _TemporalShiftInPlace(torch.autograd.Function):
    """The in-place custom op (it mutates x) under autograd: torch registers autograd formulas
    for functional custom ops only, so the in-place one gets its gradient here."""

    @staticmethod
    def forward(ctx, x, num_segments, fold_div, mode):
        CUSTOM_OPS["temporal_shift_inplace_forward"](x, num_segments, fold_div, mode)
        ctx.mark_dirty(x)
        ctx.params = (num_segments, fold_div, mode)
        return x

    @staticmethod
    def backward(ctx, grad):
        grad = native_layout(grad, "temporal_shift_backward")
        return CUSTOM_OPS["temporal_shift_backward"](grad, *ctx.params), None, None, None


def temporal_shift_(x, num_segments, fold_div=8, mode="bidirectional"):
    """In-place temporal shift of a row-major or channels_last ``x``: moves only the shifted
    channels, saving the output allocation. Bit-identical to ``temporal_shift``; autograd works as for any in-place op."""
    fn = "temporal_shift_"
    require_tensor(x, "x", fn)
    params = _params(fn, num_segments, fold_div, mode)
    if torch.onnx.is_in_onnx_export():
        # Traced as the out-of-place shift copied back, which the export makes a plain dataflow.
        return x.copy_(temporal_shift(x, num_segments, fold_div, mode))
    # Autograd refuses to let a leaf that requires grad (or a view of one) change in place; say so
    # before the kernel writes, not after.
    leaf = _private.grad_leaf(x) if torch.is_grad_enabled() and x.requires_grad else None
    if leaf is not None:
        raise error(ValueError, fn, "x", f"x is {'a view of ' if leaf is not x else ''}a leaf tensor that requires "
                                         f"grad, which cannot change in place; use temporal_shift, or shift under "
                                         f"torch.no_grad()")
    return checked(fn, _TemporalShiftInPlace.apply, x, *params)


def _alias(fn, ours, value, official_name, official):
    """An argument that may also come under the official code's keyword name."""
    if official is None:
        return value
    if value is not None:
        raise error(TypeError, fn, ours[0], f"got both {ours[0]}= and its official name {official_name}=; pass one")
    return official


class TemporalShift(nn.Module):
    """Shift, then ``net`` — the official TSM wrapper. Input and output ``(N*T, C, H, W)``.

    Wrapping a block's ``conv1`` keeps the official state-dict names (``...conv1.net.weight``), so
    released TSM checkpoints load. ``net=None`` gives the bare shift. ``inplace=True`` shifts the
    input tensor itself (it must not be needed elsewhere, e.g. by a residual connection). The
    official keyword names ``n_segment`` and ``n_div`` are accepted too, so official model code
    ports with an import change."""

    def __init__(self, net=None, num_segments=None, fold_div=None, mode="bidirectional", inplace=False, *,
                 n_segment=None, n_div=None):
        super().__init__()
        fn = "TemporalShift"
        num_segments = _alias(fn, ("num_segments",), num_segments, "n_segment", n_segment)
        fold_div = _alias(fn, ("fold_div",), fold_div, "n_div", n_div)
        num_segments = 8 if num_segments is None else num_segments
        fold_div = 8 if fold_div is None else fold_div
        if net is not None and not isinstance(net, nn.Module):
            raise error(TypeError, fn, "net", f"net must be a torch.nn.Module or None, got {type(net).__name__}")
        self.net = nn.Identity() if net is None else net
        num_segments, fold_div, _ = _params(fn, num_segments, fold_div, mode)
        if num_segments < 1 or fold_div < 1:
            raise error(ValueError, fn, "num_segments" if num_segments < 1 else "fold_div",
                        f"num_segments={num_segments} and fold_div={fold_div} must be >= 1")
        self.num_segments, self.fold_div, self.mode = num_segments, fold_div, mode
        self.inplace = _args.flag(inplace, "inplace", fn)

    def forward(self, x):
        # A wrapped convolution says how many channels it takes: a wrong input is this module's
        # error, named, not one from inside torch's convolution.
        channels = self.net.in_channels if isinstance(self.net, nn.Conv2d) else None
        require_input(x, "x", "TemporalShift", "(N*T, C, H, W)", channels=channels, num_segments=self.num_segments)
        shift = temporal_shift_ if self.inplace else temporal_shift
        return self.net(shift(x, self.num_segments, self.fold_div, self.mode))

    def extra_repr(self):
        return f"num_segments={self.num_segments}, fold_div={self.fold_div}, mode={self.mode!r}"


PLACES = ("blockres", "block")


def make_temporal_shift(resnet, num_segments=None, fold_div=None, place=None, mode="bidirectional", *,
                        n_segment=None, n_div=None, shift_div=None, shift_place=None, temporal_pool=False):
    """Insert temporal shifts into a torchvision-style ResNet (``layer1``..``layer4`` of residual
    blocks) or MobileNetV2 (each residual block that expands shifts before ``conv[0]``), like the
    official code. ``blockres``: shift inside each residual branch, before
    ``conv1`` (every other block when ``layer3`` has 23 or more blocks, as the official code does
    for ResNet-101). ``block``: shift each block's input. Modifies ``net`` in place and returns it.
    The official names ``n_segment``, ``n_div`` / ``shift_div`` and ``shift_place`` are accepted
    too; ``temporal_pool=True`` (the official option that halves T after layer1) is not built."""
    fn = "make_temporal_shift"
    num_segments = _alias(fn, ("num_segments",), num_segments, "n_segment", n_segment)
    if num_segments is None:
        raise error(TypeError, fn, "num_segments", "num_segments (or n_segment) is required")
    fold_div = _alias(fn, ("fold_div",), _alias(fn, ("fold_div",), fold_div, "n_div", n_div), "shift_div", shift_div)
    fold_div = 8 if fold_div is None else fold_div
    place = _alias(fn, ("place",), place, "shift_place", shift_place)
    place = "blockres" if place is None else place
    if temporal_pool:
        raise error(ValueError, fn, "temporal_pool",
                    "temporal_pool=True is not supported (it halves T after layer1); pass False")
    if place not in PLACES:
        raise error(ValueError, fn, "place", f"place must be one of {PLACES}, got {place!r}")
    inverted_residuals = _inverted_residuals(resnet)
    if inverted_residuals:
        if place != "blockres":
            raise error(ValueError, fn, "place",
                        f"a MobileNetV2 takes place='blockres' only (the official placement), got {place!r}")
        # The official TSM MobileNetV2: a shift at the start of each residual branch that expands.
        for block in inverted_residuals:
            block.conv[0] = TemporalShift(block.conv[0], num_segments, fold_div, mode)
        return resnet
    stages = [getattr(resnet, f"layer{i}", None) for i in range(1, 5)]
    if not all(isinstance(stage, nn.Sequential) for stage in stages):
        raise error(TypeError, fn, "resnet",
                    f"resnet must be a torchvision-style ResNet with Sequential layer1..layer4 (or a "
                    f"MobileNetV2 with features of InvertedResidual blocks), got {type(resnet).__name__}")
    every = 2 if len(resnet.layer3) >= 23 else 1
    for stage in stages:
        for i, block in enumerate(stage):
            if place == "block":
                stage[i] = TemporalShift(block, num_segments, fold_div, mode)
            elif i % every == 0:
                block.conv1 = TemporalShift(block.conv1, num_segments, fold_div, mode)
    return resnet


def _inverted_residuals(net):
    """A torchvision-style MobileNetV2's residual blocks that expand (``features`` of blocks with
    ``use_res_connect`` and a ``conv`` Sequential of four), or [] for any other network."""
    features = getattr(net, "features", None)
    if not isinstance(features, nn.Sequential):
        return []
    return [block for block in features if getattr(block, "use_res_connect", False)
            and isinstance(getattr(block, "conv", None), nn.Sequential) and len(block.conv) == 4]


class TemporalShiftStream(_NumpyStream):
    """Online TSM on torch tensors, one frame ``(N, C, H, W)`` at a time, for inference on live
    video (no autograd): ``vidtemporal.TemporalShiftStream`` with tensors in and out. CPU frames
    run on the library's stream; frames on another device keep their cache on that device."""

    def _empty_like(self, frame, fn):
        return TORCH(frame.shape, require_tensor(frame, "frame", fn), False)

    def step(self, frame, out=None):
        """Returns the shifted frame, written into ``out`` (same shape and dtype) if given."""
        fn = "TemporalShiftStream.step"
        require_tensor(frame, "frame", fn)
        if frame.device.type == "cpu" and getattr(self, "_cache", None) is None:
            return super().step(native_layout(frame, "temporal_shift_stream_step"), out)
        return self._step_in_torch(frame, out, fn)

    def _step_in_torch(self, frame, out, fn):
        if frame.dim() != 4:
            raise error(ValueError, fn, "frame", f"frame must have 4 dims (N, C, H, W), got shape {tuple(frame.shape)}")
        with self._lock:
            if self._state is not None:
                raise error(ValueError, fn, "frame",
                            f"the stream holds CPU frames, not frames on {frame.device}; reset() it first")
            cache = getattr(self, "_cache", None)
            if cache is None:
                fold = frame.shape[1] // self.fold_div
                cache = self._cache = frame.new_zeros(frame.shape[0], fold, *frame.shape[2:])
                self._frame = (frame.shape, frame.dtype, frame.device)
            shape, dtype, device = self._frame
            if frame.dtype != dtype or frame.device != device:
                raise error(TypeError, fn, "frame",
                            f"the stream holds {dtype} frames on {device}, not {frame.dtype} on {frame.device}")
            if frame.shape != shape:
                raise error(ValueError, fn, "frame",
                            f"frame shape {tuple(frame.shape)} (n, c, h, w) differs from the stream's "
                            f"{tuple(shape)}")
            if out is not None and (out.shape != frame.shape or out.dtype != frame.dtype or out.device != frame.device):
                raise error(ValueError, fn, "out",
                            f"out must be {dtype} of shape {tuple(shape)} on {device}, got {out.dtype} "
                            f"of shape {tuple(out.shape)} on {out.device}")
            fold = cache.shape[1]
            result = torch.cat([cache, frame[:, fold:]], 1)
            cache.copy_(frame[:, :fold])
            if out is None:
                return result
            out.copy_(result)
            return out

    def reset(self):
        """Starts a new clip, which may be on another device or of another shape."""
        with self._lock:
            self._state = self._cache = None
