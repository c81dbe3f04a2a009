"""The GTA family at the torch level: values and autograd gradients against autograd of the
einsum references, gradcheck in float64, opcheck, and the GlobalTemporalAttention block
(identity at initialisation, ablation flags, training)."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn

import vidtemporal.torch as vtt
import reference
from tolerances import tolerance


def compare(ours_fn, ref_fn, inputs, dtype, label):
    name = str(dtype).split(".")[1]
    rtol, atol = tolerance("gemm", name)
    ours = [t.clone().requires_grad_() for t in inputs]
    theirs = [t.clone().requires_grad_() for t in inputs]
    y, y_ref = ours_fn(*ours), ref_fn(*theirs)
    torch.testing.assert_close(y, y_ref, rtol=rtol, atol=atol, msg=label)
    grad = torch.randn_like(y)
    y.backward(grad)
    y_ref.backward(grad)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        torch.testing.assert_close(a.grad, b.grad, rtol=rtol, atol=atol * max(1.0, float(b.grad.abs().max())),
                                   msg=f"grad {i} {label}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ops_match_autograd_of_einsum(dtype):
    gen = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=dtype)
    for n, t, g, s in [(2, 1, 1, 5), (1, 8, 8, 49), (2, 4, 2, 7)]:
        compare(lambda v, a: vtt.global_temporal_attention(v, a, t),
                lambda v, a: reference.global_temporal_attention(v, a, t),
                [rand(n * t, 2 * g, s), rand(g, g, t, t)], dtype, f"mixing N={n} T={t} G={g} S={s}")
    for b, c, s, k in [(2, 3, 5, 2), (3, 16, 49, 6)]:
        compare(vtt.region_pool, reference.region_pool, [rand(b, c, s), rand(b, k, s)], dtype, "pool")
        compare(vtt.region_unpool, reference.region_unpool, [rand(b, c, k), rand(b, k, s)], dtype, "unpool")
    for b, d, dv, s in [(2, 4, 3, 9), (1, 16, 8, 130)]:
        compare(vtt.spatial_attention, reference.spatial_attention, [rand(b, d, s), rand(b, d, s), rand(b, dv, s)], dtype,
                f"attention B={b} d={d} S={s}")


def test_gradcheck_float64():
    gen = torch.Generator().manual_seed(1)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v, a: vtt.global_temporal_attention(v, a, 3), (rand(6, 4, 5), rand(2, 2, 3, 3)))
    assert torch.autograd.gradcheck(vtt.region_pool, (rand(2, 3, 7), rand(2, 4, 7)))
    assert torch.autograd.gradcheck(vtt.region_unpool, (rand(2, 3, 4), rand(2, 4, 7)))
    assert torch.autograd.gradcheck(vtt.spatial_attention, (rand(2, 3, 9), rand(2, 3, 9), rand(2, 2, 9)))


def test_opcheck():
    ops = torch.ops.vidtemporal
    r = lambda *shape: torch.randn(*shape, requires_grad=True)
    torch.library.opcheck(ops.global_temporal_attention_forward, (r(8, 4, 5), r(2, 2, 4, 4), 4))
    c = lambda *shape: torch.randn(*shape)
    torch.library.opcheck(ops.global_temporal_attention_backward, (c(8, 4, 5), c(8, 4, 5), c(2, 2, 4, 4), 4, [False, True]))
    torch.library.opcheck(ops.region_pool_forward, (r(2, 3, 7), r(2, 4, 7), True))
    torch.library.opcheck(ops.region_unpool_forward, (r(2, 3, 4), r(2, 4, 7)))
    torch.library.opcheck(ops.spatial_attention_forward, (r(2, 3, 9), r(2, 3, 9), r(2, 2, 9), [True]))
    torch.library.opcheck(ops.spatial_attention_backward,
                          (c(2, 2, 9), c(2, 3, 9), c(2, 3, 9), c(2, 2, 9), None, [True, False, True]))


def test_block_is_the_identity_at_initialisation():
    torch.manual_seed(0)
    block = vtt.GlobalTemporalAttention(64, num_segments=4, groups=8)
    x = torch.randn(8, 64, 7, 7)
    assert torch.equal(block(x), x)
    block.eval()
    assert torch.equal(block(x), x)
    assert block.pixel_attn.shape == block.region_attn.shape == (8, 8, 4, 4)
    assert block.region_assign.out_channels == 8   # regions = channels // 8
    # N(0, 1/T): variance 1/T
    assert abs(float(block.pixel_attn.detach().var()) - 1 / 4) < 0.1


def train_toy(flags, steps=40):
    """A temporal toy task: the label says which of frames 1..3 is bright; the head sees frame 0
    only. Without mixing over time frame 0 carries no label information. Returns (start, end) loss."""
    torch.manual_seed(0)
    t, c, clips = 4, 8, 64
    block = vtt.GlobalTemporalAttention(c, num_segments=t, groups=4, regions=4, **flags)
    head = nn.Linear(c, 3)
    opt = torch.optim.Adam(list(block.parameters()) + list(head.parameters()), lr=2e-2)
    labels = torch.randint(0, 3, (clips,))
    x = 0.1 * torch.randn(clips, t, c, 4, 4)
    x[torch.arange(clips), labels + 1] += 1.0
    x = x.view(clips * t, c, 4, 4)

    def loss():
        features = block(x).mean((2, 3)).view(clips, t, c)
        return nn.functional.cross_entropy(head(features[:, 0]), labels)
    start = loss().item()
    for _ in range(steps):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    return start, loss().item()


@pytest.mark.parametrize("flags", [dict(), dict(region=False), dict(pixel=False), dict(cross_channel=False),
                                   dict(spatial=False)])
def test_block_trains(flags):
    start, end = train_toy(flags)
    assert end < 0.5 * start, (flags, start, end)


def test_toy_task_needs_temporal_mixing():
    """The control: with every path off the block is the identity, and the loss stays near ln 3."""
    start, end = train_toy(dict(spatial=False, pixel=False, region=False))
    assert end > 0.8 * start, (start, end)


def test_cross_channel_off_keeps_heads_separate():
    block = vtt.GlobalTemporalAttention(16, num_segments=4, groups=4, cross_channel=False)
    nn.init.ones_(block.pixel_out[1].weight)   # open the branch so gradients reach the matrix
    block(torch.randn(8, 16, 3, 3)).sum().backward()
    off_diagonal = block.pixel_attn.grad * (1 - torch.eye(4)[:, :, None, None])
    assert float(block.pixel_attn.grad.abs().sum()) > 0 and float(off_diagonal.abs().sum()) == 0


def test_block_inserts_into_a_resnet_stage():
    from torchvision_resnet import BasicBlock, ResNet
    torch.manual_seed(0)
    net = ResNet(BasicBlock, [1, 1, 1, 1], width=16).eval()
    x = torch.randn(8, 3, 64, 64)
    before = net(x)
    net.layer2 = nn.Sequential(net.layer2, vtt.GlobalTemporalAttention(32, num_segments=4, groups=8))
    torch.testing.assert_close(net(x), before)   # identity at initialisation
    net.train()
    net(x).sum().backward()
    assert net.layer2[1].pixel_out[1].weight.grad.abs().sum() > 0


def test_block_errors():
    with pytest.raises(ValueError, match="groups=0 must be >= 1"):
        vtt.GlobalTemporalAttention(32, 4, groups=0)
    with pytest.raises(ValueError, match="channels=30 is not divisible by groups=8"):
        vtt.GlobalTemporalAttention(30, 4)
    with pytest.raises(ValueError, match="spatial_attention: v is on meta but q on cpu"):
        vtt.spatial_attention(torch.empty(1, 2, 3), torch.empty(1, 2, 3), torch.empty(1, 2, 3, device="meta"))
