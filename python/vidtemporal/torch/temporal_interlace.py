"""Temporal interlace (TIN) for PyTorch: the autograd op, the ``TemporalInterlace`` module with
its OffsetNet and WeightNet as in the official code, ``make_temporal_interlace`` for
torchvision-style ResNets, and ``convert_tin_state_dict`` for official / mmaction2 checkpoints."""
import re
import torch
from torch import nn

from .. import _args
from .._errors import error
from ._custom_ops import native_layout, run
from ._tensors import builds, require_tensor, require_input


def temporal_interlace(x, offsets, weights, num_segments, shift_div=4, groups=None):
    """Temporal interlace with autograd for x, offsets and weights (see
    ``vidtemporal.temporal_interlace``): ``x (N*T, C, H, W)``, ``offsets (N, G)``,
    ``weights (N, T, G)``; ``groups`` defaults to ``offsets.shape[1]``."""
    fn = "temporal_interlace"
    for tensor, name in ((x, "x"), (offsets, "offsets"), (weights, "weights")):
        require_tensor(tensor, name, fn)
    _args.groups_match(groups, offsets.shape, fn)
    return run(fn, "temporal_interlace_forward", native_layout(x, "temporal_interlace_forward"),
               offsets.contiguous(), weights.contiguous(),
               _args.integer(num_segments, "num_segments", fn), _args.integer(shift_div, "shift_div", fn))


class OffsetNet(nn.Module):
    """Descriptor ``(N, F, T)`` -> offsets ``(N, G)`` in (-2, 2): Conv1d(F->1, k=3) -> Linear(T->T)
    -> ReLU -> Linear(T->G) -> ``4 * (sigmoid - 0.5)``. The last bias starts at 0.5108, so the
    offsets start near 0.5 (as in the official code)."""

    def __init__(self, in_channels, groups, num_segments):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, 1, 3, padding=1)
        self.fc1 = nn.Linear(num_segments, num_segments)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(num_segments, groups)
        nn.init.constant_(self.fc2.bias, 0.5108)

    def forward(self, descriptor):
        z = self.fc2(self.relu(self.fc1(self.conv(descriptor).flatten(1))))
        return 4 * (torch.sigmoid(z) - 0.5)


class WeightNet(nn.Module):
    """Descriptor ``(N, F, T)`` -> weights ``(N, T, G)`` in (0, 2): Conv1d(F->G, k=3) ->
    ``2 * sigmoid``, bias 0 so the weights start at 1."""

    def __init__(self, in_channels, groups):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, groups, 3, padding=1)
        nn.init.zeros_(self.conv.bias)

    def forward(self, descriptor):
        return 2 * torch.sigmoid(self.conv(descriptor)).transpose(1, 2)


class TemporalInterlace(nn.Module):
    """The TIN module, then ``net``: ``(N*T, C, H, W)`` -> ``(N*T, C, H, W)``.

    The descriptor is the spatial mean of the first ``F = C // shift_div`` channels, ``(N, F, T)``;
    OffsetNet and WeightNet turn it into offsets ``(N, G)`` and weights ``(N, T, G)`` for
    ``temporal_interlace``. ``net=None`` gives the bare module. In eager mode the last offsets and
    weights are kept (detached) in ``last_offsets`` / ``last_weights`` for inspection (not under
    torch.compile or torch.export, where a module attribute set in forward is a side effect)."""

    @builds("TemporalInterlace")
    def __init__(self, in_channels, num_segments, shift_div=4, groups=2, net=None):
        super().__init__()
        fn = "TemporalInterlace"
        self.in_channels = _args.positive(in_channels, "in_channels", fn)
        self.num_segments = _args.positive(num_segments, "num_segments", fn)
        self.shift_div = _args.positive(shift_div, "shift_div", fn)
        self.groups = _args.positive(groups, "groups", fn)
        if net is not None and not isinstance(net, nn.Module):
            raise error(TypeError, fn, "net", f"net must be a torch.nn.Module or None, got {type(net).__name__}")
        self.interlaced = self.in_channels // self.shift_div
        if self.interlaced == 0 or self.interlaced % (2 * self.groups):
            raise error(ValueError, fn, "in_channels",
                        f"F = in_channels // shift_div = {self.interlaced} must be a positive multiple "
                        f"of 2 * groups = {2 * self.groups}")
        self.offset_net = OffsetNet(self.interlaced, self.groups, self.num_segments)
        self.weight_net = WeightNet(self.interlaced, self.groups)
        self.net = nn.Identity() if net is None else net
        self.last_offsets = self.last_weights = None

    def forward(self, x):
        t = self.num_segments
        require_input(x, "x", "TemporalInterlace", "(N*T, C, H, W)", channels=self.in_channels, num_segments=t,
                      module=self)
        nt = x.shape[0]
        descriptor = x[:, :self.interlaced].mean((2, 3)).view(nt // t, t, self.interlaced).transpose(1, 2)
        offsets = self.offset_net(descriptor)
        weights = self.weight_net(descriptor)
        if not torch.compiler.is_compiling():
            self.last_offsets, self.last_weights = offsets.detach(), weights.detach()
        return self.net(temporal_interlace(x, offsets, weights, t, self.shift_div))

    def extra_repr(self):
        return f"num_segments={self.num_segments}, shift_div={self.shift_div}, groups={self.groups}"


def make_temporal_interlace(resnet, num_segments, shift_div=4, groups=2):
    """Insert a TemporalInterlace before ``conv1`` of every residual block of a torchvision-style
    ResNet (``layer1``..``layer4``), as the official code does. Modifies ``resnet`` and returns it."""
    stages = [getattr(resnet, f"layer{i}", None) for i in range(1, 5)]
    if not all(isinstance(stage, nn.Sequential) for stage in stages):
        raise error(TypeError, "make_temporal_interlace", "resnet",
                    f"resnet must be a torchvision-style ResNet with Sequential "
                    f"layer1..layer4, got {type(resnet).__name__}")
    for stage in stages:
        for block in stage:
            block.conv1 = TemporalInterlace(block.conv1.in_channels, num_segments, shift_div, groups, net=block.conv1)
    return resnet


# Key renames, applied in order, from the two released layouts to ours (torchvision ResNet names,
# TemporalInterlace wrapping conv1 as `.net`).
_OFFICIAL_KEYS = [  # the authors' repository: TSN wrapper around a torchvision ResNet
    (r"^module\.", ""), (r"^base_model\.", ""), (r"^new_fc\.", "fc."),
    (r"\.conv1\.net1\.biasnet\.net\.conv\.", ".conv1.offset_net.conv."),
    (r"\.conv1\.net1\.biasnet\.net\.fc\.", ".conv1.offset_net.fc1."),
    (r"\.conv1\.net1\.biasnet\.net\.lastlayer\.", ".conv1.offset_net.fc2."),
    (r"\.conv1\.net1\.weightnet\.net\.lastlayer\.", ".conv1.weight_net.conv."),
    (r"\.conv1\.net2\.", ".conv1.net."),
]
_MMACTION2_KEYS = [  # mmaction2's ResNetTIN: ConvModules (conv + bn), TIN inside conv1.conv
    (r"^backbone\.", ""), (r"^cls_head\.fc_cls\.", "fc."),
    (r"^conv1\.conv\.", "conv1."), (r"^conv1\.bn\.", "bn1."),
    (r"\.conv1\.conv\.net1\.", ".conv1."), (r"\.conv1\.conv\.net2\.", ".conv1.net."),
    (r"\.conv(\d)\.conv\.", r".conv\1."), (r"\.conv(\d)\.bn\.", r".bn\1."),
    (r"\.downsample\.conv\.", ".downsample.0."), (r"\.downsample\.bn\.", ".downsample.1."),
]


def convert_tin_state_dict(state_dict):
    """Rename a TIN checkpoint from the official repository (``...conv1.net1.biasnet...``) or from
    mmaction2 (``backbone.layer1.0.conv1.conv.net1.offset_net...``) to the keys of a torchvision
    ResNet after ``make_temporal_interlace``. Keys of other heads are left as they are."""
    keys = list(state_dict)
    if any(".biasnet." in k or k.startswith(("module.", "base_model.")) for k in keys):
        rules = _OFFICIAL_KEYS
    elif any(k.startswith("backbone.") or ".conv.net1." in k for k in keys):
        rules = _MMACTION2_KEYS
    else:
        return dict(state_dict)
    converted = {}
    for key, value in state_dict.items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    return converted
