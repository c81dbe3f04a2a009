"""Every torch internal vidtemporal.torch touches, in one place, each with the public path that
runs where this torch lacks it (a test exercises both).

- The eager shortcut (``_eager``): telling eager calls from calls that need the dispatcher. Public
  APIs tell compile, tracing, tensor subclasses and torch-function modes; none tells a torch.func
  transform or a dispatch mode (FakeTensorMode and the like) with plain tensors. Without these
  two ``EAGER_SHORTCUT`` is False and every call takes the custom op.
- Which tensor a view is a view of (``temporal_shift_``'s early error for a leaf that requires
  grad): without it, or under torch.compile, autograd's own error comes after the shift.
- State-dict hooks (``online``): public from torch 2.5; before, the same hooks had private names.
"""
import torch
from torch.overrides import has_torch_function

try:
    _interpreter_stack = torch._C._functorch.peek_interpreter_stack
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
            and all(type(a) is torch.Tensor or not isinstance(a, torch.Tensor) for a in args)
            and not has_torch_function(args) and _interpreter_stack() is None
            and _dispatch_mode(_FAKE) is None and _current_dispatch_mode() is None)


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
