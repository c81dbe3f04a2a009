"""torch.onnx.export (torch's default exporter, built on torch.export) of networks holding each
vidtemporal module gives graphs of standard ONNX operators only, and onnxruntime runs them to
eager torch's results: the temporal shift bit for bit, networks (convolutions around each module,
up to a TSM ResNet-50) within the table's whole-network float32 tolerance. The ops are exported as
their plain-torch implementations."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

import vidtemporal.torch as vtt  # noqa: E402
from vidtemporal.torch import _versions  # noqa: E402
from tolerances import network_close  # noqa: E402
from torchvision_resnet import resnet50  # noqa: E402  (examples/ is on the path: conftest.py)

if not _versions.has(_versions.ONNX_EXPORT_FLOOR):
    pytest.skip(f"ONNX export of vidtemporal ops needs torch {_versions.ONNX_EXPORT_FLOOR}", allow_module_level=True)

T = 4


def exported(model, args, path):
    """The ONNX file of model(*args), checked to hold standard operators only."""
    program = torch.onnx.export(model.eval(), tuple(args), dynamo=True, verbose=False)
    program.save(str(path))
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    domains = {node.domain for node in graph.graph.node}
    assert domains <= {"", "ai.onnx"}, domains
    assert not graph.functions, [f.name for f in graph.functions]
    assert {o.domain for o in graph.opset_import} <= {"", "ai.onnx"}
    return str(path)


def run_onnxruntime(path, arrays):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, arrays)))


def assert_matches(path, model, args, exact=False):
    arrays = [a.numpy().copy() for a in args]  # before an in-place module changes the inputs
    with torch.no_grad():
        want = model(*args)
    want = [w.numpy() for w in (want if isinstance(want, tuple) else (want,))]
    got = run_onnxruntime(path, arrays)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        if exact:
            assert np.array_equal(g, w)
        else:
            network_close(g, w)


def frames(channels=16, size=8, clips=2, seed=0):
    return torch.randn(clips * T, channels, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("mode", ["bidirectional", "unidirectional"])
@pytest.mark.parametrize("inplace", [False, True], ids=["out-of-place", "inplace"])
def test_temporal_shift_exports_bit_exact(tmp_path, mode, inplace):
    shift = vtt.TemporalShift(None, T, 4, mode=mode, inplace=inplace)
    x = frames()
    path = exported(shift, [x.clone()], tmp_path / "shift.onnx")
    assert_matches(path, shift, [x.clone()], exact=True)
    # And inside a network: a convolution before and after.
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, padding=1),
                              vtt.TemporalShift(torch.nn.Conv2d(16, 8, 1), T, 8, mode=mode, inplace=inplace))
    path = exported(net, [x], tmp_path / "net.onnx")
    assert_matches(path, net, [x])


def test_temporal_interlace_exports(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 1), vtt.TemporalInterlace(16, T, shift_div=4, groups=2))
    # Offsets of both signs and past one frame: interpolation between two integer shifts each way.
    with torch.no_grad():
        net[1].offset_net.fc2.bias.copy_(torch.tensor([1.2, -1.5]))
    x = frames()
    assert_matches(exported(net, [x], tmp_path / "tin.onnx"), net, [x])


def test_motion_squeeze_exports(tmp_path):
    torch.manual_seed(0)
    net = vtt.MotionSqueeze(16, T, reduced=8, patch_size=5)
    x = frames(size=10)
    assert_matches(exported(net, [x], tmp_path / "ms.onnx"), net, [x])


@pytest.mark.parametrize("flags", [{}, {"cross_channel": False}], ids=["full", "per-group"])
def test_global_temporal_attention_exports(tmp_path, flags):
    torch.manual_seed(0)
    net = vtt.GlobalTemporalAttention(16, T, groups=4, regions=3, **flags)
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            # Zero-initialised output norms would make the block the identity: give them weight.
            torch.nn.init.normal_(module.weight)
    x = frames()
    assert_matches(exported(net, [x], tmp_path / "gta.onnx"), net, [x])


def test_dual_attention_matching_exports(tmp_path):
    torch.manual_seed(0)
    net = vtt.DualAttentionMatching(audio_dim=12, visual_dim=20, dim=16, key_dim=8)
    g = torch.Generator().manual_seed(1)
    audio, visual = torch.randn(3, 10, 12, generator=g), torch.randn(3, 10, 20, generator=g)
    mask = (torch.rand(3, 10, generator=g) < 0.7).float()
    assert_matches(exported(net, [audio, visual, mask], tmp_path / "dam.onnx"), net, [audio, visual, mask])


def test_tsm_resnet50_exports(tmp_path):
    torch.manual_seed(0)
    net = vtt.make_temporal_shift(resnet50(num_classes=10), T, mode="bidirectional")
    x = frames(channels=3, size=32, clips=1)
    for module in net.modules():  # batch-norm statistics of real activations, not the fresh ones
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    with torch.no_grad():
        net.train()(frames(channels=3, size=32, clips=1, seed=1))
    net.eval()
    with torch.no_grad():
        assert net(x).abs().amax() > 0.1
    assert_matches(exported(net, [x], tmp_path / "tsm_resnet50.onnx"), net, [x])
