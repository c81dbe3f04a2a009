"""Temporal interlace at the torch level: values and gradients of x, offsets and weights against
autograd of the slicing reference (fractional, integer, negative and far offsets, T = 1, G = 1
and 3), gradcheck in float64, opcheck, the module against a replica of the official one, the
checkpoint key mapping and the ResNet placement helper."""
import itertools

import pytest

torch = pytest.importorskip("torch")
from torch import nn

import vidtemporal.torch as vtt
import reference
from torchvision_resnet import Bottleneck, ResNet
from tolerances import tolerance

OFFSETS = {
    "fractional": lambda g, shape: torch.rand(shape, generator=g, dtype=torch.float64) * 4 - 2,
    "integer": lambda g, shape: torch.randint(-2, 3, shape, generator=g).double(),
    "negative": lambda g, shape: -torch.rand(shape, generator=g, dtype=torch.float64) * 2,
    "beyond the clip": lambda g, shape: (torch.randint(0, 2, shape, generator=g) * 2 - 1) * (8 + 40 * torch.rand(shape, generator=g, dtype=torch.float64)),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", list(OFFSETS))
def test_values_and_gradients_equal_autograd_of_reference(dtype, kind):
    gen = torch.Generator().manual_seed(0)
    name = str(dtype).split(".")[1]
    rtol, atol = tolerance("temporal_interlace", name)
    prtol, patol = tolerance("temporal_interlace_params", name)
    for (n, t), (c, shift_div, groups) in itertools.product([(2, 1), (2, 3), (1, 8)], [(16, 4, 2), (8, 1, 1), (24, 2, 3)]):
        x = torch.randn(n * t, c, 3, 2, generator=gen, dtype=dtype)
        offsets = OFFSETS[kind](gen, (n, groups)).to(dtype)
        weights = (torch.rand(n, t, groups, generator=gen, dtype=torch.float64) * 1.9 + 0.1).to(dtype)
        grad = torch.randn(x.shape, generator=gen, dtype=dtype)
        ours = [v.clone().requires_grad_() for v in (x, offsets, weights)]
        theirs = [v.clone().requires_grad_() for v in (x, offsets, weights)]
        y = vtt.temporal_interlace(*ours, t, shift_div)
        y_ref = reference.temporal_interlace(*theirs, t, shift_div)
        label = f"N={n} T={t} C={c} shift_div={shift_div} G={groups} {kind} {dtype}"
        torch.testing.assert_close(y, y_ref, rtol=rtol, atol=atol, msg=label)
        y.backward(grad)
        y_ref.backward(grad)
        torch.testing.assert_close(ours[0].grad, theirs[0].grad, rtol=rtol, atol=atol, msg=f"grad x {label}")
        for i, what in [(1, "offsets"), (2, "weights")]:
            torch.testing.assert_close(ours[i].grad, theirs[i].grad, rtol=prtol, atol=patol, msg=f"grad {what} {label}")


def test_gradcheck_float64():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2 * 4, 8, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    # Offsets away from integers: floor() is piecewise constant, finite differences must not cross it.
    offsets = torch.tensor([[0.3, -1.4], [1.7, -0.6]], dtype=torch.float64, requires_grad=True)
    weights = (torch.rand(2, 4, 2, generator=gen, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda *a: vtt.temporal_interlace(*a, 4, 2), (x, offsets, weights))


def test_opcheck():
    ops = torch.ops.vidtemporal
    x = torch.randn(8, 16, 3, 3, requires_grad=True)
    offsets = torch.tensor([[0.5, -1.2], [0.1, 1.9]], requires_grad=True)
    weights = torch.rand(2, 4, 2, requires_grad=True)
    torch.library.opcheck(ops.temporal_interlace_forward, (x, offsets, weights, 4, 4))
    torch.library.opcheck(ops.temporal_interlace_backward,
                          (torch.randn(8, 16, 3, 3), x.detach(), offsets.detach(), weights.detach(), 4, 4,
                           [True, False, True]))


def test_errors_name_the_argument():
    x, offsets, weights = torch.zeros(8, 16, 2, 2), torch.zeros(2, 2), torch.ones(2, 4, 2)
    with pytest.raises(ValueError, match="offsets is on meta"):
        vtt.temporal_interlace(x, offsets.to("meta"), weights, 4)
    with pytest.raises(ValueError, match=r"weights.shape\[2\]=3 does not match offsets.shape\[1\]=2 \(G\)"):
        vtt.temporal_interlace(x, offsets, torch.ones(2, 4, 3), 4)
    with pytest.raises(ValueError, match="is not finite"):
        vtt.temporal_interlace(x, torch.full((2, 2), float("nan")), weights, 4)
    with pytest.raises(ValueError, match="must be a positive multiple of 2 \\* groups = 4"):
        vtt.TemporalInterlace(8, 4, shift_div=4, groups=2)


# ---- the module, against a replica of the official one ----

class OfficialTemporalDeform(nn.Module):
    """The official module's structure and parameter names (biasnet / weightnet), with the
    slicing reference as its sampler: the oracle for TemporalInterlace and the key mapping."""

    def __init__(self, in_channels, n_segment, shift_div):
        super().__init__()
        fold = in_channels // shift_div
        self.n_segment, self.fold = n_segment, fold
        self.biasnet = nn.Module()
        self.biasnet.net = nn.Module()
        self.biasnet.net.conv = nn.Conv1d(fold, 1, 3, padding=1)
        self.biasnet.net.fc = nn.Linear(n_segment, n_segment)
        self.biasnet.net.lastlayer = nn.Linear(n_segment, 2)
        self.weightnet = nn.Module()
        self.weightnet.net = nn.Module()
        self.weightnet.net.lastlayer = nn.Conv1d(fold, 2, 3, padding=1)
        self.shift_div = shift_div

    def forward(self, x):
        nt, c, h, w = x.shape
        n = nt // self.n_segment
        pooled = x[:, :self.fold].mean(3).mean(2).view(n, self.n_segment, self.fold).permute(0, 2, 1)
        b = self.biasnet.net
        z = b.lastlayer(torch.relu(b.fc(b.conv(pooled).view(n, self.n_segment))))
        offsets = 4 * (torch.sigmoid(z) - 0.5)
        weights = 2 * torch.sigmoid(self.weightnet.net.lastlayer(pooled)).permute(0, 2, 1)
        return reference.temporal_interlace(x, offsets, weights, self.n_segment, self.shift_div)


class CombinNet(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, x):
        return self.net2(self.net1(x))


def test_module_initial_state():
    module = vtt.TemporalInterlace(64, num_segments=8, shift_div=4, groups=2)
    assert torch.all(module.offset_net.fc2.bias == 0.5108)
    assert torch.all(module.weight_net.conv.bias == 0)
    # With the last layers' weights at zero only the initial biases act: offsets 4 (sigmoid(0.5108)
    # - 0.5) = 0.5 and weights 2 sigmoid(0) = 1, whatever the input.
    with torch.no_grad():
        module.offset_net.fc2.weight.zero_()
        module.weight_net.conv.weight.zero_()
    x = torch.randn(16, 64, 4, 4)
    module(x)
    assert module.last_offsets.shape == (2, 2) and module.last_weights.shape == (2, 8, 2)
    torch.testing.assert_close(module.last_offsets, torch.full((2, 2), 0.5), atol=1e-4, rtol=0)
    torch.testing.assert_close(module.last_weights, torch.ones(2, 8, 2))
    with pytest.raises(ValueError, match=r"TemporalInterlace: x.shape\[0\]=12 \(N\*T\) is not a multiple of num_segments=8"):
        module(torch.randn(12, 64, 4, 4))


def test_key_mapping_on_literal_checkpoint_names():
    """Names as the two released layouts spell them, mapped to ours."""
    official = {
        "module.base_model.conv1.weight": "conv1.weight",
        "module.base_model.layer1.0.conv1.net1.biasnet.net.conv.weight": "layer1.0.conv1.offset_net.conv.weight",
        "module.base_model.layer1.0.conv1.net1.biasnet.net.fc.bias": "layer1.0.conv1.offset_net.fc1.bias",
        "module.base_model.layer3.5.conv1.net1.biasnet.net.lastlayer.bias": "layer3.5.conv1.offset_net.fc2.bias",
        "module.base_model.layer2.1.conv1.net1.weightnet.net.lastlayer.weight": "layer2.1.conv1.weight_net.conv.weight",
        "module.base_model.layer4.2.conv1.net2.weight": "layer4.2.conv1.net.weight",
        "module.base_model.layer4.2.bn1.running_mean": "layer4.2.bn1.running_mean",
        "module.base_model.layer1.0.downsample.0.weight": "layer1.0.downsample.0.weight",
        "module.new_fc.weight": "fc.weight",
    }
    mmaction2 = {
        "backbone.conv1.conv.weight": "conv1.weight",
        "backbone.conv1.bn.running_var": "bn1.running_var",
        "backbone.layer1.0.conv1.conv.net1.offset_net.fc2.bias": "layer1.0.conv1.offset_net.fc2.bias",
        "backbone.layer1.0.conv1.conv.net1.weight_net.conv.weight": "layer1.0.conv1.weight_net.conv.weight",
        "backbone.layer1.0.conv1.conv.net2.weight": "layer1.0.conv1.net.weight",
        "backbone.layer1.0.conv1.bn.weight": "layer1.0.bn1.weight",
        "backbone.layer2.3.conv3.conv.weight": "layer2.3.conv3.weight",
        "backbone.layer2.3.conv2.bn.bias": "layer2.3.bn2.bias",
        "backbone.layer1.0.downsample.conv.weight": "layer1.0.downsample.0.weight",
        "backbone.layer1.0.downsample.bn.num_batches_tracked": "layer1.0.downsample.1.num_batches_tracked",
        "cls_head.fc_cls.bias": "fc.bias",
    }
    for names in (official, mmaction2):
        values = {theirs: torch.tensor(float(i)) for i, theirs in enumerate(names)}
        converted = vtt.convert_tin_state_dict(values)
        assert set(converted) == set(names.values())
        for theirs, ours in names.items():
            assert converted[ours] is values[theirs]


def test_module_equals_official_replica_after_key_mapping():
    torch.manual_seed(0)
    conv = nn.Conv2d(32, 16, 1)
    official = CombinNet(OfficialTemporalDeform(32, 4, 4), conv)
    for p in official.parameters():
        nn.init.normal_(p, std=0.3)
    state = {f"module.base_model.layer1.0.conv1.{k}": v for k, v in official.state_dict().items()}
    converted = vtt.convert_tin_state_dict(state)
    ours = vtt.TemporalInterlace(32, 4, shift_div=4, groups=2, net=nn.Conv2d(32, 16, 1))
    ours.load_state_dict({k.removeprefix("layer1.0.conv1."): v for k, v in converted.items()}, strict=True)
    x = torch.randn(8, 32, 5, 5)
    torch.testing.assert_close(ours(x), official(x), rtol=1e-5, atol=1e-5)


def test_mmaction2_keys_map_onto_a_resnet_with_interlace():
    net = vtt.make_temporal_interlace(ResNet(Bottleneck, [1, 1, 1, 1], width=16), num_segments=4)
    ours = net.state_dict()
    # mmaction2 names: ConvModules (conv/bn), the TIN module inside conv1.conv as net1.
    def mmaction2_name(key):
        key = key.replace("conv1.net.", "conv1.conv.net2.")
        for sub in ("offset_net", "weight_net"):
            key = key.replace(f"conv1.{sub}.", f"conv1.conv.net1.{sub}.")
        for i in "123":
            if not key.startswith(f"conv{i}") and f".conv{i}.conv." not in key:
                key = key.replace(f".conv{i}.weight", f".conv{i}.conv.weight").replace(f".bn{i}.", f".conv{i}.bn.")
        key = key.replace("downsample.0.", "downsample.conv.").replace("downsample.1.", "downsample.bn.")
        if key.startswith("conv1."):
            key = "conv1.conv." + key[len("conv1."):]
        if key.startswith("bn1."):
            key = "conv1.bn." + key[len("bn1."):]
        return "cls_head.fc_cls." + key[3:] if key.startswith("fc.") else "backbone." + key
    mm = {mmaction2_name(k): torch.randn_like(v) if v.is_floating_point() else v for k, v in ours.items()}
    assert "backbone.layer1.0.conv1.conv.net1.offset_net.fc2.bias" in mm
    assert "backbone.layer1.0.conv1.bn.weight" in mm
    converted = vtt.convert_tin_state_dict(mm)
    assert sorted(converted) == sorted(ours)
    net.load_state_dict(converted, strict=True)
    assert torch.equal(net.layer1[0].conv1.offset_net.fc2.bias,
                       mm["backbone.layer1.0.conv1.conv.net1.offset_net.fc2.bias"])


def test_official_keys_map_onto_a_resnet_with_interlace():
    net = vtt.make_temporal_interlace(ResNet(Bottleneck, [1, 2, 1, 1], width=16), num_segments=4)
    renames = {"offset_net.conv.": "net1.biasnet.net.conv.", "offset_net.fc1.": "net1.biasnet.net.fc.",
               "offset_net.fc2.": "net1.biasnet.net.lastlayer.", "weight_net.conv.": "net1.weightnet.net.lastlayer.",
               "conv1.net.": "conv1.net2."}
    official = {}
    for key, value in net.state_dict().items():
        for ours, theirs in renames.items():
            key = key.replace(ours, theirs)
        official["module.base_model." + key if not key.startswith("fc.") else "module.new_fc." + key[3:]] = value
    assert "module.base_model.layer2.1.conv1.net1.weightnet.net.lastlayer.weight" in official
    assert sorted(vtt.convert_tin_state_dict(official)) == sorted(net.state_dict())


def test_make_temporal_interlace_trains():
    torch.manual_seed(0)
    net = vtt.make_temporal_interlace(ResNet(Bottleneck, [1, 1, 1, 1], width=16), num_segments=4)
    assert all(isinstance(b.conv1, vtt.TemporalInterlace) for stage in (net.layer1, net.layer4) for b in stage)
    x = torch.randn(8, 3, 32, 32)
    net(x).sum().backward()
    block = net.layer2[0].conv1
    assert block.offset_net.fc2.weight.grad is not None and block.offset_net.fc2.weight.grad.abs().sum() > 0
    assert block.weight_net.conv.weight.grad.abs().sum() > 0
    with pytest.raises(TypeError, match="torchvision-style ResNet"):
        vtt.make_temporal_interlace(nn.Linear(2, 2), 4)
