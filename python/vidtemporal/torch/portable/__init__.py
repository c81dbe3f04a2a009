"""The ops in plain torch, for tensors on any device but the CPU (whose kernels are the Swift
library's): the same math as the C functions of include/vidtemporal.h, written like the official
code (slicing, einsum), one file per op of the op table, named after it. Each file defines
forward functions named and called like the C functions of the op table (inputs, scalars, then
``want`` where there are optional outputs; outputs returned in table order, an unwanted one as
None). A backward the file does not define is the vector-Jacobian product of its forward
(``torch.func.vjp``: the forward is recomputed)."""
import importlib

import torch

from ... import _optable

# One module per op of the table that torch calls (not the stream, whose state lives in C).
_MODULES = [importlib.import_module(f".{op.name}", __name__) for op in _optable.OPS
            if not any(f.handle or f.creates for f in op.functions)]
_DEFINED = {name: getattr(module, name) for module in _MODULES for name in _optable.FUNCTIONS if hasattr(module, name)}
_BACKWARD_OF = {op.backward: op.forward for op in _optable.OPS if op.forward}


def _vjp_backward(forward_name, backward_name):
    f, b = _optable.FUNCTIONS[forward_name], _optable.FUNCTIONS[backward_name]
    forward = _DEFINED[forward_name]
    tensors = [t for t in b.tensors if t.role != "out"]
    optional_outputs = [t.name for t in b.outputs if t.optional]

    def backward(*args):
        values = dict(zip([t.name for t in tensors], args))
        scalars = dict(zip([s.name for s in b.scalars], args[len(tensors):]))
        want = dict(zip(optional_outputs, args[len(tensors) + len(b.scalars)])) if optional_outputs else {}
        gradient_of_output = {output: name for name, output in _optable.output_gradients(forward_name,
                                                                                          backward_name).items()}
        differentiable = [i for i, t in enumerate(f.outputs) if t.name in gradient_of_output]
        grads = [values[gradient_of_output[f.outputs[i].name]] for i in differentiable]
        inputs = [values.get(t.name) for t in f.inputs]
        wanted = [i for i, t in enumerate(f.inputs)
                  if "grad_" + t.name in {o.name for o in b.outputs} and want.get("grad_" + t.name, True)]
        forward_scalars = [scalars[s.name] for s in f.scalars]
        forward_want = [[False] * sum(t.optional for t in f.outputs)] if any(t.optional for t in f.outputs) else []

        def outputs(*primals):
            full = list(inputs)
            for i, primal in zip(wanted, primals):
                full[i] = primal
            results = forward(*full, *forward_scalars, *forward_want)
            return tuple(results[i] for i in differentiable)

        if not wanted:
            results = {}
        else:
            primal_outputs, vjp = torch.func.vjp(outputs, *[inputs[i] for i in wanted])
            cotangents = tuple(torch.zeros_like(o) if g is None else g.to(o.dtype)
                               for o, g in zip(primal_outputs, grads))
            results = dict(zip(wanted, vjp(cotangents)))
        return tuple(results.get(f.inputs.index(f.tensor(t.name[5:]))) for t in b.outputs)

    return backward


# Every table function torch calls, in plain torch: the files' own, and the vjp backwards.
IMPLEMENTATIONS = dict(_DEFINED)
for _name, _forward in _BACKWARD_OF.items():
    if _name not in IMPLEMENTATIONS:
        IMPLEMENTATIONS[_name] = _vjp_backward(_forward, _name)


def run(name, args):
    """The C function `name`'s outputs for these arguments (as the custom op passes them)."""
    return IMPLEMENTATIONS[name](*args)
