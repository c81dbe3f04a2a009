"""Temporal shift at the torch level: autograd against autograd of the slicing reference,
gradcheck in float64 at default tolerances, opcheck, the in-place variant, the module and the
ResNet placement helper."""
import copy

import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt
import reference
from torchvision_resnet import BasicBlock, Bottleneck, ResNet

MODES = ["bidirectional", "unidirectional"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode", MODES)
def test_values_and_gradients_equal_autograd_of_slicing_reference(dtype, mode):
    gen = torch.Generator().manual_seed(0)
    for n, t, c, h, w, fold_div in [(2, 8, 64, 3, 3, 8), (1, 1, 5, 2, 2, 8), (3, 4, 17, 1, 5, 3), (1, 5, 3, 2, 1, 1)]:
        x = torch.randn(n * t, c, h, w, dtype=dtype, generator=gen, requires_grad=True)
        x_ref = x.detach().clone().requires_grad_()
        grad = torch.randn(x.shape, dtype=dtype, generator=gen)
        y = vtt.temporal_shift(x, t, fold_div, mode)
        y_ref = reference.temporal_shift(x_ref, t, fold_div, mode)
        label = f"N={n} T={t} C={c} fold_div={fold_div} {mode} {dtype}"
        assert torch.equal(y, y_ref), label
        y.backward(grad)
        y_ref.backward(grad)
        assert torch.equal(x.grad, x_ref.grad), label


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_float64(mode):
    x = torch.randn(2 * 4, 9, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: vtt.temporal_shift(v, 4, 4, mode), (x,))
    assert torch.autograd.gradgradcheck(lambda v: vtt.temporal_shift(v, 4, 4, mode), (x,))
    assert torch.autograd.gradcheck(lambda v: vtt.temporal_shift_(v.clone(), 4, 4, mode), (x,))


def test_opcheck():
    ops = torch.ops.vidtemporal
    x = torch.randn(8, 16, 3, 3, requires_grad=True)
    torch.library.opcheck(ops.temporal_shift_forward, (x, 4, 8, 0))
    torch.library.opcheck(ops.temporal_shift_backward, (x.double(), 2, 4, 1))
    torch.library.opcheck(ops.temporal_shift_inplace_forward, (x.detach().clone(), 4, 8, 0))


def test_inplace_matches_out_of_place_and_backpropagates():
    x = torch.randn(16, 32, 4, 4, requires_grad=True)
    expected = vtt.temporal_shift(x, 8)
    y = x * 1  # a non-leaf, so it can be modified in place
    z = vtt.temporal_shift_(y, 8)
    assert z.data_ptr() == y.data_ptr()
    assert torch.equal(z, expected)
    grad = torch.randn_like(x)
    (g_ref,) = torch.autograd.grad(expected, x, grad, retain_graph=True)
    (g,) = torch.autograd.grad(z, x, grad)
    assert torch.equal(g, g_ref)


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="temporal_shift: x must be a torch.Tensor"):
        vtt.temporal_shift([1.0], 8)
    # Tensors without data (meta) are sized, not computed, as under torch.compile.
    assert vtt.temporal_shift(torch.empty(8, 4, 2, 2, device="meta"), 8).shape == (8, 4, 2, 2)
    with pytest.raises(TypeError, match="must be float32, float64, float16 or bfloat16"):
        vtt.temporal_shift(torch.zeros(8, 4, 2, 2, dtype=torch.int32), 8)
    with pytest.raises(ValueError, match="not a multiple of num_segments=8"):
        vtt.temporal_shift(torch.zeros(12, 4, 2, 2), 8)
    with pytest.raises(ValueError, match="temporal_shift_: x must be C-contiguous"):
        vtt.temporal_shift_(torch.zeros(8, 4, 2, 2).transpose(2, 3), 8)


def test_non_contiguous_input_is_made_contiguous_by_the_autograd_op():
    x = torch.randn(8, 4, 6, 5).transpose(2, 3)
    assert torch.equal(vtt.temporal_shift(x, 4, 4), reference.temporal_shift(x.contiguous(), 4, 4))


def test_stream_on_tensors_equals_unidirectional():
    clip = torch.randn(1 * 5, 16, 3, 3)
    stream = vtt.TemporalShiftStream(fold_div=4)
    streamed = torch.cat([stream.step(clip[t:t + 1]) for t in range(5)])
    assert torch.equal(streamed, vtt.temporal_shift(clip, 5, 4, "unidirectional"))
    with pytest.raises(ValueError, match="the stream holds CPU frames, not frames on meta; reset"):
        stream.step(torch.empty(1, 16, 3, 3, device="meta"))


def test_module_shifts_then_runs_net():
    conv = torch.nn.Conv2d(16, 8, 3, padding=1)
    module = vtt.TemporalShift(conv, num_segments=4, fold_div=8)
    x = torch.randn(8, 16, 5, 5)
    assert torch.allclose(module(x), conv(reference.temporal_shift(x, 4, 8)))
    assert "net.weight" in module.state_dict()
    bare = vtt.TemporalShift(num_segments=4, fold_div=8, inplace=True)
    y = x.clone()
    assert torch.equal(bare(y), reference.temporal_shift(x, 4, 8))


class SlicingShift(torch.nn.Module):
    """The official wrapper, with the slicing shift: the oracle for the placement test."""

    def __init__(self, net, num_segments, fold_div):
        super().__init__()
        self.net, self.num_segments, self.fold_div = net, num_segments, fold_div

    def forward(self, x):
        return self.net(reference.temporal_shift(x, self.num_segments, self.fold_div))


@pytest.mark.parametrize("place", ["blockres", "block"])
@pytest.mark.parametrize("block, layers", [(BasicBlock, [2, 2, 2, 2]), (Bottleneck, [1, 2, 2, 1])])
def test_make_temporal_shift_matches_official_placement(place, block, layers):
    torch.manual_seed(0)
    net = ResNet(block, layers).eval()
    oracle = copy.deepcopy(net)
    for stage in [oracle.layer1, oracle.layer2, oracle.layer3, oracle.layer4]:
        for i, b in enumerate(stage):
            if place == "block":
                stage[i] = SlicingShift(b, 4, 8)
            else:
                b.conv1 = SlicingShift(b.conv1, 4, 8)
    shifted = vtt.make_temporal_shift(net, num_segments=4, fold_div=8, place=place)
    assert shifted is net
    # Official checkpoint names: residual-branch shifts wrap conv1 as .net.
    key = "layer1.0.conv1.net.weight" if place == "blockres" else "layer1.0.net.conv1.weight"
    assert key in net.state_dict()
    assert list(net.state_dict()) == list(oracle.state_dict())
    x = torch.randn(8, 3, 32, 32)
    assert torch.allclose(net(x), oracle(x), atol=1e-6)
    # And it trains: gradients reach the first conv through every shift.
    net.train()
    net(x).sum().backward()
    assert net.conv1.weight.grad.abs().sum() > 0


def test_make_temporal_shift_takes_the_spec_keywords():
    net = vtt.make_temporal_shift(resnet=ResNet(BasicBlock, [1, 1, 1, 1]), num_segments=4, fold_div=8, place="block")
    assert isinstance(net.layer2[0], vtt.TemporalShift)


def test_make_temporal_shift_every_other_block_for_deep_layer3():
    net = vtt.make_temporal_shift(ResNet(Bottleneck, [1, 1, 23, 1], width=2), num_segments=2)
    shifted = [isinstance(b.conv1, vtt.TemporalShift) for b in net.layer3]
    assert shifted == [i % 2 == 0 for i in range(23)]


def test_make_temporal_shift_rejects_other_nets():
    with pytest.raises(TypeError, match="torchvision-style ResNet"):
        vtt.make_temporal_shift(torch.nn.Linear(2, 2), 8)
    with pytest.raises(ValueError, match="place must be one of"):
        vtt.make_temporal_shift(ResNet(BasicBlock, [1, 1, 1, 1]), 8, place="stage")
