"""Every torch internal vidtemporal.torch touches, in one place, each with the public path that
runs where this torch lacks it (a test exercises both).

- The eager shortcut (``_eager``): telling eager calls from calls that need the dispatcher, and a
  gradient that refuses a second derivative. No public API offers either. Without them
  ``EAGER_SHORTCUT`` is False and every call takes the custom op.
- Which tensor a view is a view of (``temporal_shift_``'s early error for a leaf that requires
  grad): without it, or under torch.compile, autograd's own error comes after the shift.
- State-dict hooks (``online``): public from torch 2.5; before, the same hooks had private names.
"""
import torch

try:
    _DelayedError = torch._C._functions.DelayedError
    _interpreter_stack = torch._C._functorch.peek_interpreter_stack
    _function_mode_enabled = torch._C._is_torch_function_mode_enabled
    _dispatch_mode = torch._C._get_dispatch_mode
    _FAKE = torch._C._TorchDispatchModeKey.FAKE
    from torch.utils._python_dispatch import _get_current_dispatch_mode as _current_dispatch_mode
    EAGER_SHORTCUT = True
except (AttributeError, ImportError):
    EAGER_SHORTCUT = False


def plain_eager(args):
    """Whether a call may bypass the dispatcher: plain tensors in eager torch, with nothing that
    needs it (compile, jit tracing, torch.func transforms, dispatch or torch-function modes such as
    FakeTensorMode, tensor subclasses)."""
    return (EAGER_SHORTCUT and not torch.compiler.is_compiling() and not torch.jit.is_tracing()
            and _interpreter_stack() is None and not _function_mode_enabled()
            and _dispatch_mode(_FAKE) is None and _current_dispatch_mode() is None
            and all(type(a) is torch.Tensor or not isinstance(a, torch.Tensor) for a in args))


def first_order_only(message, gradients):
    """`gradients` (tensors or None) with a node that raises `message` when differentiated."""
    present = [i for i, g in enumerate(gradients) if isinstance(g, torch.Tensor)]
    marked = _DelayedError(message.encode(), len(present))(*[gradients[i].detach().requires_grad_(True)
                                                              for i in present])
    marked = marked if isinstance(marked, tuple) else (marked,)
    gradients = list(gradients)
    for i, g in zip(present, marked):
        gradients[i] = g
    return tuple(gradients)


def grad_leaf(x):
    """The leaf tensor requiring grad that `x` is or views, else None; None where this cannot be
    told (torch.compile before torch 2.5 cannot trace it)."""
    if torch.compiler.is_compiling() or not hasattr(x, "_base"):
        return None
    base = x._base if x._base is not None else x
    return base if base.requires_grad and base.is_leaf else None


def register_state_dict_hooks(module, post_save, pre_load):
    """module.register_state_dict_post_hook(post_save) and
    module.register_load_state_dict_pre_hook(pre_load) (torch 2.5), or their private forms."""
    if hasattr(module, "register_state_dict_post_hook") and hasattr(module, "register_load_state_dict_pre_hook"):
        module.register_state_dict_post_hook(post_save)
        module.register_load_state_dict_pre_hook(pre_load)
    else:
        module._register_state_dict_hook(post_save)
        module._register_load_state_dict_pre_hook(pre_load, with_module=True)
