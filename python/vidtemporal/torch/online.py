"""Streaming (online) networks from offline ones: ``to_online(model)`` turns a network whose temporal
modules are unidirectional temporal shifts into a model that takes one frame per stream at a time.

Buffer semantics (as the official online TSM demo's): every shift keeps a buffer, the channels
``[0, fold)`` of the frame it saw at the previous step, ``(N, fold, H, W)`` at that shift's
resolution; a step outputs the current frame with those channels replaced by the buffer and then
stores the current frame's channels ``[0, fold)`` as the new buffer. The first step of a clip sees
zeros, so stepping through a clip gives, frame by frame, what the offline network gives on the
whole clip (``mode="unidirectional"``: frame t reads frame t-1, frame 0 reads zeros).
"""
import copy
import operator

import torch
from torch import nn

from .._errors import error
from . import _private, _versions
from .dual_attention_matching import DualAttentionMatching
from .global_temporal_attention import GlobalTemporalAttention
from .motion_squeeze import MotionSqueeze
from .temporal_interlace import TemporalInterlace
from .temporal_shift import TemporalShift

# Modules that need frames the stream has not seen yet (or all of a clip's frames at once).
_NEEDS_WHOLE_CLIP = {TemporalInterlace: "its offsets look at the whole clip, future frames included",
                     MotionSqueeze: "it correlates each frame with the next one",
                     GlobalTemporalAttention: "it attends over all frames of the clip",
                     DualAttentionMatching: "it matches whole audio and visual sequences"}


class _Buffer:
    """One shift's buffer, held outside the module's tensors: a step traced for export then
    mutates no module attribute."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = None


class OnlineTemporalShift(nn.Module):
    """A unidirectional ``TemporalShift`` for one frame per stream, ``(N, C, H, W)`` in and out,
    then the offline module's ``net`` (so the state-dict names are the offline ones)."""

    def __init__(self, shift):
        super().__init__()
        self.net = shift.net
        self.fold_div = shift.fold_div
        self.buffer = _Buffer()

    def forward(self, x):
        fold = x.shape[1] // self.fold_div
        shape = (x.shape[0], fold, *x.shape[2:])
        previous = self.buffer.value
        if previous is None:
            previous = x.new_zeros(shape)
        elif tuple(previous.shape) != shape:
            raise error(ValueError, "OnlineTemporalShift", "x",
                        f"the buffer holds {tuple(previous.shape)} (n, fold, h, w) but this "
                        f"frame needs {shape}; call reset() to start streams of another count or size")
        self.buffer.value = x[:, :fold].detach().clone()
        return self.net(torch.cat([previous.to(x.dtype), x[:, fold:]], 1))

    def extra_repr(self):
        return f"fold_div={self.fold_div}"


class OnlineModel(nn.Module):
    """The streaming form of an offline network (``to_online``). ``step(frames)`` (or calling it)
    takes the current frame of each of N streams ``(N, 3, H, W)`` and returns that frame's output;
    ``reset()`` starts new clips on every stream, ``reset(i)`` on stream i only. The state dict is
    the offline network's: its checkpoints load unchanged."""

    def __init__(self, network, names):
        super().__init__()
        self.network = network
        self.buffer_names = names  # the shifts' module names, in buffer order
        # The offline network's state-dict names, also where this model sits inside another.
        _private.register_state_dict_hooks(self, _drop_network_prefix, _add_network_prefix)

    def shifts(self):
        return [m for m in self.network.modules() if isinstance(m, OnlineTemporalShift)]

    def step(self, frames):
        return self.network(frames)

    forward = step

    def reset(self, stream=None):
        """All streams start new clips, or stream `stream` only (an index below N)."""
        shifts = self.shifts()
        if stream is not None:
            try:
                stream = operator.index(stream) if not isinstance(stream, bool) else None
            except TypeError:
                stream = None
            started = [s.buffer.value for s in shifts if s.buffer.value is not None]
            streams = started[0].shape[0] if started else None
            if stream is None or stream < 0 or (streams is not None and stream >= streams):
                bound = f"[0, {streams})" if streams is not None else ">= 0"
                raise error(ValueError, "OnlineModel.reset", "stream", f"stream must be an int in {bound}")
        for shift in shifts:
            if stream is None:
                shift.buffer.value = None
            elif shift.buffer.value is not None:
                shift.buffer.value[stream] = 0

    def buffers_now(self):
        """The buffers as they stand, in order (None before the first step)."""
        return [shift.buffer.value for shift in self.shifts()]

    def export_onnx(self, path, frame_shape, dtype=torch.float32):
        """Exports one step with the buffers as explicit inputs and outputs: inputs ``frames (N, 3,
        H, W)`` then ``buffer_0 .. buffer_{k-1}``, outputs ``output`` then ``new_buffer_0 ..
        new_buffer_{k-1}`` (buffer i belongs to ``buffer_names[i]``; zeros start a clip, and each
        step's new buffers are the next step's buffers). Returns the buffers' shapes. Needs torch
        2.8 or newer."""
        _versions.require(_versions.ONNX_EXPORT_FLOOR, "OnlineModel.export_onnx")
        saved, training = self.buffers_now(), self.training
        try:
            self.eval()  # the sizing step must not move batch-norm statistics
            self.reset()
            frames = torch.zeros(frame_shape, dtype=dtype)
            with torch.no_grad():
                self.step(frames)
            zeros = [torch.zeros_like(b) for b in self.buffers_now()]
            k = len(zeros)
            torch.onnx.export(_ExplicitBuffers(self), (frames, *zeros), str(path), dynamo=True, verbose=False,
                              input_names=["frames", *[f"buffer_{i}" for i in range(k)]],
                              output_names=["output", *[f"new_buffer_{i}" for i in range(k)]])
            return [tuple(z.shape) for z in zeros]
        finally:
            self.train(training)
            for shift, value in zip(self.shifts(), saved):
                shift.buffer.value = value


def _drop_network_prefix(module, state_dict, prefix, local_metadata):
    inner = prefix + "network."
    for key in [k for k in state_dict if k.startswith(inner)]:
        state_dict[prefix + key[len(inner):]] = state_dict.pop(key)


def _add_network_prefix(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
    inner = prefix + "network."
    for key in [k for k in state_dict if k.startswith(prefix) and not k.startswith(inner)]:
        state_dict[inner + key[len(prefix):]] = state_dict.pop(key)


class _ExplicitBuffers(nn.Module):
    """One step of an OnlineModel as a function of its buffers (for export)."""

    def __init__(self, online):
        super().__init__()
        self.online = online

    def forward(self, frames, *buffers):
        shifts = self.online.shifts()
        for shift, buffer in zip(shifts, buffers):
            shift.buffer.value = buffer
        output = self.online.network(frames)
        return (output, *[shift.buffer.value for shift in shifts])


def to_online(model):
    """The streaming form of ``model`` (a copy; ``model`` is untouched): every unidirectional
    ``TemporalShift`` becomes an ``OnlineTemporalShift``. ``model`` must map frames ``(N*T, 3, H,
    W)`` to per-frame outputs with no other mixing of frames than those shifts. A module that
    needs future frames or the whole clip (a bidirectional shift, TIN, MS, GTA, DAM) is refused
    with a ValueError naming it."""
    fn = "to_online"
    if not isinstance(model, nn.Module):
        raise error(TypeError, fn, "model", f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, module in model.named_modules():
        where = name or "the model itself"
        if isinstance(module, TemporalShift) and module.mode != "unidirectional":
            raise error(ValueError, fn, "model",
                        f"{where} is a TemporalShift with mode={module.mode!r}, which reads the next "
                        f"frame; only mode='unidirectional' streams (build the network with it)")
        for kind, why in _NEEDS_WHOLE_CLIP.items():
            if isinstance(module, kind):
                raise error(ValueError, fn, "model", f"{where} is a {kind.__name__}, which cannot stream: {why}")
    network = copy.deepcopy(model)
    names = []

    def replace(parent, prefix):
        for child_name, child in parent.named_children():
            qualified = f"{prefix}{child_name}"
            if isinstance(child, TemporalShift):
                names.append(qualified)
                online = OnlineTemporalShift(child)
                setattr(parent, child_name, online)
                replace(online.net, f"{qualified}.net.")
            else:
                replace(child, f"{qualified}.")

    if isinstance(network, TemporalShift):  # a bare shift
        names.append("")
        network = OnlineTemporalShift(network)
        replace(network.net, "net.")
    else:
        replace(network, "")
    return OnlineModel(network, names)
