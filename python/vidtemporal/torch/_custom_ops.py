"""The torch custom ops, made from the op table: one ``torch.library.custom_op`` per tensor
function of the C ABI (``torch.ops.vidtemporal.<name>``), its kernel and fake kernel the
generated glue (``vidtemporal._glue``, with torch allocation), and for each forward/backward pair
its autograd. Nothing here is per-op code.

CPU tensors run on the Swift library; tensors on any other device on the plain-torch
implementation of the same function (``vidtemporal.torch.portable``), under the same autograd.

Schema of an op: its input tensors (``Tensor?`` where optional, ``Tensor(a!)`` where written in
place), its scalars, and ``bool[] want`` (one flag per optional output) when it has optional
outputs; it returns its outputs, an unwanted one as an empty tensor. A backward op computes the
gradients ``ctx.needs_input_grad`` asks for and passes NULL to the library for the others.
"""
import torch

from .. import _glue, _optable
from .._errors import ERRORS, error, for_function, ours
from .._outputs import Allocator
from . import _eager, portable
from ._tensors import AUTOCAST_DEVICES

_SCALAR_TYPES = {"int64": "int", "int32": "int", "bool": "bool", "double": "float"}
# Whether the extension reads a tensor that requires grad as it is: through DLPack's C exchange API
# (torch 2.9 and newer); torch's __dlpack__, which older torch offers instead, refuses one.
_DLPACK_READS_GRAD = hasattr(torch.Tensor, "__dlpack_c_exchange_api__")
# Argument names torch's dispatcher uses itself (auto-functionalization passes `mode`).
_RESERVED = {"mode": "shift_mode"}


def _torch_empty(shape, like, index):
    dtype = torch.int64 if index else like.dtype
    if tuple(shape) == tuple(like.shape) and channels_last(like):
        # An output shaped like a channels_last input keeps its memory format.
        return torch.empty(shape, dtype=dtype, device=like.device, memory_format=torch.channels_last)
    return torch.empty(shape, dtype=dtype, device=like.device)


def channels_last(tensor):
    """NHWC memory that is not also row-major."""
    return tensor.dim() == 4 and not tensor.is_contiguous() and tensor.is_contiguous(memory_format=torch.channels_last)


def native_layout(tensor, function):
    """The tensor as `function`'s kernel takes it: itself if row-major, or channels_last where the
    kernel reads that too; otherwise one row-major copy."""
    if function in CHANNELS_LAST and channels_last(tensor):
        return tensor
    return tensor.contiguous()


def layout_of(tensor, like, function):
    """`tensor` in the memory format of `like` (another 4-d tensor of the same call), so that one
    call's tensors share one format; native_layout when there is no such tensor."""
    if like is None or tensor.dim() != 4:
        return native_layout(tensor, function)
    if function in CHANNELS_LAST and channels_last(like):
        return tensor.contiguous(memory_format=torch.channels_last)
    return tensor.contiguous()


def _meta_empty(shape, like, index):
    return torch.empty(shape, dtype=torch.int64 if index else like.dtype, device="meta")


# The torch layer's outputs (like's dtype, device and memory format), and tensors without storage
# for checking sizes only.
TORCH = Allocator(torch.Tensor, "a torch.Tensor", _torch_empty)
META = Allocator(torch.Tensor, "a torch.Tensor", _meta_empty)


class TorchFunction:
    """What the torch layer needs of one table function."""

    def __init__(self, function):
        self.name = function.name
        self.glue = getattr(_glue, function.name)
        self.inputs = [t for t in function.tensors if t.role != "out"]
        self.outputs = [t for t in function.tensors if t.role == "out"]
        self.scalars = [s.name for s in function.scalars]
        self.optional = [t.name for t in self.outputs if t.optional]
        self.like = next(i for i, t in enumerate(self.inputs) if t.dtype == "float" and not t.optional)
        self.arity = len(self.inputs) + len(self.scalars)

    def flags(self, args):
        return dict(zip(self.optional, args[self.arity])) if self.optional else {}

    def schema(self):
        args = [("Tensor(a!) " if t.role == "inout" else "Tensor? " if t.optional else "Tensor ") + t.name
                for t in self.inputs]
        args += [f"{_SCALAR_TYPES[s.kind]} {_RESERVED.get(s.name, s.name)}"
                 for s in _optable.FUNCTIONS[self.name].scalars]
        if self.optional:
            args.append("bool[] want")
        returns = {0: "()", 1: "Tensor"}.get(len(self.outputs), "(" + ", ".join(["Tensor"] * len(self.outputs)) + ")")
        return f"({', '.join(args)}) -> {returns}"

    def run(self, args, call, portable_path=False):
        device = args[self.like].device
        for tensor, value in zip(self.inputs, args):
            if isinstance(value, torch.Tensor) and value.device != device:
                raise error(ValueError, self.name, tensor.name, f"{tensor.name} is on {value.device} but "
                            f"{self.inputs[self.like].name} on {device}; one call's tensors share a device")
        if call and (device.type != "cpu" or portable_path):
            # Sized and checked as on the CPU (the fake path), computed in plain torch: on other
            # devices, and under ONNX export, which then records standard operators only.
            self.glue(self.name, META, *args[:self.arity], call=False, **self.flags(args))
            outputs = portable.run(self.name, args)
        else:
            if call and not _DLPACK_READS_GRAD:
                args = [a.detach() if isinstance(a, torch.Tensor) and a.requires_grad else a for a in args]
            outputs = self.glue(self.name, TORCH, *args[:self.arity], call=call, **self.flags(args))
        if not outputs:
            return None
        if len(outputs) == 1:
            return outputs[0]
        like = args[self.like]
        return tuple(like.new_empty(0) if o is None else o for o in outputs)


TORCH_FUNCTIONS = {name: TorchFunction(f) for name, f in _optable.FUNCTIONS.items() if not f.handle and not f.creates}
CHANNELS_LAST = {name for name, f in _optable.FUNCTIONS.items() if f.channels_last}


def _define(function):
    mutated = tuple(t.name for t in function.inputs if t.role == "inout")
    mutated_positions = {i for i, t in enumerate(function.inputs) if t.role == "inout"}

    def kernel(*args):
        # A compiled graph may hand the kernel strides other than its fake tensors had (inductor
        # lays out intermediate buffers as it likes): the inputs in a layout the library reads.
        like = next((a for a in args if isinstance(a, torch.Tensor) and a.dim() == 4), None)
        args = [layout_of(a, like, function.name) if isinstance(a, torch.Tensor) and i not in mutated_positions
                else a for i, a in enumerate(args)]
        return function.run(args, call=True)

    def fake(*args):
        return function.run(args, call=False)

    kernel.__name__ = function.name
    op = torch.library.custom_op(f"vidtemporal::{function.name}", kernel, mutates_args=mutated, device_types=None,
                                 schema=function.schema())
    if function.outputs:
        op.register_fake(fake)
    return op


def _autograd(forward, backward, call_backward):
    """(setup_context, backward) of forward from backward, by the table's naming: backward reads
    the differentiable outputs' gradients (_optable.output_gradients) and forward tensors by
    name, and writes grad_<input>. `call_backward(*args)` runs the backward (the custom op, or its
    glue)."""
    f, b = TORCH_FUNCTIONS[forward], TORCH_FUNCTIONS[backward]
    f_inputs, f_outputs = [t.name for t in f.inputs], [t.name for t in f.outputs]
    gradient_of_output = _optable.output_gradients(forward, backward)
    differentiable = sorted(f_outputs.index(output) for output in gradient_of_output.values())
    auxiliary = tuple(i for i in range(len(f_outputs)) if i not in differentiable)
    # A backward input is a saved tensor (a forward input or output) or an output's gradient.
    saved, plan = [], []
    for t in b.inputs:
        if t.name in f_inputs or t.name in f_outputs:
            plan.append(("saved", len(saved)))
            saved.append(("input", f_inputs.index(t.name)) if t.name in f_inputs else ("output", f_outputs.index(t.name)))
        else:
            plan.append(("grad", f_outputs.index(gradient_of_output[t.name])))
            # With one differentiable output its gradient is present (or all are absent: see
            # backward_fn); with more, any may be absent, and the kernels take that as zero.
            assert t.optional or len(differentiable) == 1, f"{backward}: {t.name} must be optional"
    gradient_of = [f_inputs.index(t.name[5:]) for t in b.outputs]
    wants = [f_inputs.index(name[5:]) for name in b.optional]
    scalars = [f.scalars.index(name) for name in b.scalars]
    unwanted = [(f_outputs.index(name), position) for position, name in enumerate(f.optional)]
    returned = f.arity + (1 if f.optional else 0)

    def setup_context(ctx, inputs, output):
        if saved or auxiliary:
            outputs = list(output) if isinstance(output, tuple) else [output]
            for i, position in unwanted:  # an optional output the forward did not compute is absent
                if not inputs[f.arity][position]:
                    outputs[i] = None
            ctx.save_for_backward(*(inputs[i] if kind == "input" else outputs[i] for kind, i in saved))
            if auxiliary:
                ctx.mark_non_differentiable(*(outputs[i] for i in auxiliary if outputs[i] is not None))
        ctx.scalars = inputs[len(f_inputs):f.arity]
        # No zero-filled gradients for unused outputs: the kernels take an absent one as zero.
        ctx.set_materialize_grads(False)

    def backward_fn(ctx, *grads):
        if all(grads[i] is None for i in differentiable):
            return (None,) * returned  # a gradient is linear in the output gradients: all zero
        tensors = ctx.saved_tensors
        # The output gradients take the memory format of the saved 4-d tensors (channels_last
        # inputs of a channels_last kernel), or their own where nothing 4-d was saved.
        like = next((t for t in tensors if t is not None and t.dim() == 4), None)
        args = [tensors[i] if kind == "saved" else None if grads[i] is None else layout_of(grads[i], like, backward)
                for kind, i in plan]
        args += [ctx.scalars[i] for i in scalars]
        if wants:
            args.append([ctx.needs_input_grad[i] for i in wants])
        results = call_backward(*args)
        results = results if isinstance(results, tuple) else (results,)
        gradients = [None] * returned
        for index, result in zip(gradient_of, results):
            if ctx.needs_input_grad[index]:
                gradients[index] = result
        return tuple(gradients)

    return setup_context, backward_fn


def _register_adjoint_autograd(forward, backward, ops):
    """A linear op with one tensor in and out: the backward op's gradient is the forward op."""
    scalars = len(TORCH_FUNCTIONS[forward].scalars)

    def setup_context(ctx, inputs, output):
        ctx.scalars = inputs[1:]

    def backward_fn(ctx, grad):
        if grad is None:
            return (None,) * (1 + scalars)
        return (ops[forward](native_layout(grad, forward), *ctx.scalars), *([None] * scalars))

    ops[backward].register_autograd(backward_fn, setup_context=setup_context)

# The functions autocast runs in float32 (the table's per-op policy).
IN_FLOAT32 = {name for op in _optable.OPS if op.autocast == "float32" for f in op.functions
              for name in [f.name] if name in TORCH_FUNCTIONS}


def _register_autocast(names):
    """Registers the float32 autocast policy of `names` with torch's dispatcher on every device
    whose autocast takes a custom op, and returns those devices. torch.library.register_autocast
    arrived in torch 2.5, and until 2.13 it takes cpu and cuda only; on the other devices (on all
    of them before 2.5) `run` applies the policy itself."""
    register = getattr(torch.library, "register_autocast", None)
    registered = []
    for device in AUTOCAST_DEVICES if register else ():
        try:
            for name in names:
                register(f"vidtemporal::{name}", device, torch.float32)
        except ValueError:  # "Unknown device type": this torch registers no custom op there
            continue
        registered.append(device)
    return registered


def _make():
    ops = {name: _define(function) for name, function in TORCH_FUNCTIONS.items()}
    eager = {}
    for op in _optable.OPS:
        if op.forward:
            setup_context, backward_fn = _autograd(op.forward, op.backward, ops[op.backward])
            ops[op.forward].register_autograd(backward_fn, setup_context=setup_context)
            if op.linear:
                _register_adjoint_autograd(op.forward, op.backward, ops)
            if op.eager and _eager.AVAILABLE:
                f, b = TORCH_FUNCTIONS[op.forward], TORCH_FUNCTIONS[op.backward]
                autograd = _autograd(op.forward, op.backward, lambda *args, b=b: b.run(args, call=True))
                eager[op.forward] = _eager.function(op.forward, lambda *args, f=f: f.run(args, call=True), *autograd)
    return ops, eager


CUSTOM_OPS, EAGER_FUNCTIONS = _make()
AUTOCAST_REGISTERED = _register_autocast(sorted(IN_FLOAT32))


def _autocast_device(name, args, eager):
    """The device whose autocast policy run() applies itself to this call of `name`: where the
    dispatcher does not (the eager path bypasses it; on some devices, or all before torch 2.5,
    the policy is not registered) and autocast is on there. None otherwise."""
    if name not in IN_FLOAT32:
        return None
    device = next(a.device.type for a in args if isinstance(a, torch.Tensor))
    if device not in AUTOCAST_DEVICES or (device in AUTOCAST_REGISTERED and not eager):
        return None
    return device if torch.is_autocast_enabled(device) else None


def run(fn, name, *args):
    """torch.ops.vidtemporal.<name>(*args) for the public function `fn` (in eager mode, for an
    op the table marks eager, its autograd.Function); its errors are fn's."""
    try:
        eager = name in EAGER_FUNCTIONS and _eager.plain(args)
        device = _autocast_device(name, args, eager)
        if device is None:
            return _call(name, args, eager)
        # torch's rule: the device's floating tensors in float32, float64 left alone; the op
        # itself runs with autocast off.
        args = [a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() and a.dtype != torch.float64
                and a.device.type == device else a for a in args]
        with torch.autocast(device, enabled=False):
            return _call(name, args, eager)
    except ERRORS as failure:
        if not ours(failure):
            raise  # torch's own
        raise for_function(failure, fn) from None


def _call(name, args, eager):
    if eager:
        return EAGER_FUNCTIONS[name].apply(*args)
    if torch.onnx.is_in_onnx_export():
        # ONNX has no vidtemporal operators: the export traces the plain-torch implementation
        # of the same function (inference: no autograd). Checked off the eager path (~2 us).
        return TORCH_FUNCTIONS[name].run(args, call=True, portable_path=True)
    return CUSTOM_OPS[name](*args)
