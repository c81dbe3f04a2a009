"""torch.compile and torch.export of a small network holding every module: a training step
(forward and loss, their backward, the optimizer) compiles with fullgraph=True (no graph break)
and equals eager;
the eval-mode network exports and the exported program equals eager."""
import copy
import warnings

import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402

N, T, C, H, W, D = 2, 4, 16, 6, 6, 8


class EveryModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.shift = vtt.TemporalShift(torch.nn.Conv2d(C, C, 1), num_segments=T, fold_div=4)
        self.interlace = vtt.TemporalInterlace(C, T, shift_div=4, groups=2)
        self.motion = vtt.MotionSqueeze(C, T, reduced=8, patch_size=3)
        self.attention = vtt.GlobalTemporalAttention(C, T, groups=2, regions=4)
        self.visual = torch.nn.Linear(C, D)
        self.dam = vtt.DualAttentionMatching(audio_dim=D, visual_dim=D, dim=D, key_dim=4)

    def forward(self, x, audio, mask):
        y = self.attention(self.motion(self.interlace(self.shift(x))))
        visual = self.visual(y.mean((2, 3))).view(N, T, D)
        p = self.dam(audio, visual, mask)[0]
        return p


def _inputs():
    g = torch.Generator().manual_seed(0)
    return (torch.randn(N * T, C, H, W, generator=g), torch.randn(N, T, D, generator=g),
            torch.tensor([[1.0, 1, 0, 1], [0, 1, 1, 1]]))


def _loss(model, inputs, labels):
    return vtt.dam_loss(model(*inputs), labels)


def test_training_step_compiles_without_graph_breaks_and_equals_eager():
    # In float64: inductor fuses and reorders the float arithmetic around the ops, and the
    # motion squeeze's temperature-100 softmax amplifies float32 rounding to ~1e-3 in gradients.
    torch.manual_seed(0)
    eager = EveryModule().double()
    compiled = copy.deepcopy(eager)
    inputs = tuple(i.double() for i in _inputs())
    labels = torch.tensor([[1.0, 0, 0, 1], [0, 1, 1, 0]], dtype=torch.float64)
    eager_optimizer = torch.optim.SGD(eager.parameters(), lr=0.1)
    compiled_optimizer = torch.optim.SGD(compiled.parameters(), lr=0.1)
    torch._dynamo.reset()
    # The forward and loss as one graph, fullgraph=True failing on any break (AOTAutograd derives
    # the backward graph from the ops' registered autograd); the optimizer step compiled as torch
    # documents it, without fullgraph: torch's optimizers break the graph around their no_grad
    # region on purpose.
    compiled_loss = torch.compile(_loss, fullgraph=True)
    compiled_step = torch.compile(compiled_optimizer.step)
    for _ in range(2):
        eager_optimizer.zero_grad()
        compiled_optimizer.zero_grad()
        expected = _loss(eager, inputs, labels)
        expected.backward()
        eager_optimizer.step()
        got = compiled_loss(compiled, inputs, labels)
        got.backward()
        compiled_step()
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    for (name, a), b in zip(eager.named_parameters(), compiled.parameters()):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12, msg=name)


def test_eval_network_exports_and_equals_eager():
    torch.manual_seed(0)
    model = EveryModule().eval()
    inputs = _inputs()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        program = torch.export.export(model, inputs)
    # No side effects in forward (TIN keeps its last offsets only in eager mode).
    assert not [w for w in caught if "attribute" in str(w.message).lower()], [str(w.message) for w in caught]
    names = {str(node.target) for node in program.graph.nodes if node.op == "call_function"}
    assert any("vidtemporal" in name for name in names), names
    with torch.no_grad():
        torch.testing.assert_close(program.module()(*inputs), model(*inputs))
