"""to_online: a network built with unidirectional temporal shifts, stepped one frame per stream,
gives frame by frame what the offline network gives on the whole clip (the shifts bit for bit,
whole networks within the float32 tolerance), with its checkpoints loaded unchanged; reset starts
new clips; networks that need future frames are refused by name; and the ONNX export of a step,
with the buffers as inputs and outputs, runs in onnxruntime to the torch online model's results."""
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import vidtemporal.torch as vtt  # noqa: E402
from vidtemporal.torch import _versions  # noqa: E402
from tolerances import network_close  # noqa: E402
from torchvision_mobilenet import MobileNetV2  # noqa: E402  (examples/ is on the path: conftest.py)
from torchvision_resnet import resnet50  # noqa: E402

T, N = 4, 2
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "onnx_stream.py")


def clip(channels=3, size=32, seed=0):
    """N clips of T frames, (N*T, C, H, W) with row n*T + t frame t of clip n."""
    return torch.randn(N * T, channels, size, size, generator=torch.Generator().manual_seed(seed))


def frame(x, t):
    """Frame t of each of the N clips: (N, C, H, W)."""
    return x.view(N, T, *x.shape[1:])[:, t]


def offline_per_frame(model, x):
    with torch.no_grad():
        y = model.eval()(x)
    return y.view(N, T, *y.shape[1:])


def assert_close(got, want):
    network_close(got.numpy(), want.numpy())


def calibrated(network, seed=0):
    """The network in eval mode with its batch norms' statistics taken from random clips: freshly
    initialised statistics let MobileNetV2's activations vanish (outputs near 1e-10), which would
    make any comparison pass."""
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # a plain average over the batches below
    network.train()
    with torch.no_grad():
        for i in range(2):
            network(clip(seed=100 + seed + i))
    return network.eval()


def tsm(network, seed=0):
    torch.manual_seed(seed)
    return calibrated(vtt.make_temporal_shift(network, T, mode="unidirectional"), seed)


def test_bare_shift_streams_bit_exact():
    shift = vtt.TemporalShift(None, T, 8, mode="unidirectional")
    x = clip(channels=16)
    online = vtt.to_online(shift)
    want = offline_per_frame(shift, x)
    for t in range(T):
        assert torch.equal(online.step(frame(x, t)), want[:, t])


@pytest.mark.parametrize("layout", ["resnet50", "mobilenet_v2"])
def test_stepping_equals_the_offline_network(layout):
    offline = tsm(resnet50(num_classes=10) if layout == "resnet50" else MobileNetV2(num_classes=10))
    shifts = [m for m in offline.modules() if isinstance(m, vtt.TemporalShift)]
    assert len(shifts) == (16 if layout == "resnet50" else 10)
    x = clip()
    want = offline_per_frame(offline, x)
    assert want.abs().amax() > 0.1  # outputs of a size the tolerance can tell apart
    online = vtt.to_online(offline).eval()
    assert len(online.buffer_names) == len(shifts)
    with torch.no_grad():
        for t in range(T):
            assert_close(online.step(frame(x, t)), want[:, t])
        # reset() starts new clips: the same clip again gives the same outputs.
        online.reset()
        for t in range(T):
            assert_close(online.step(frame(x, t)), want[:, t])


def test_offline_checkpoint_loads_unchanged(tmp_path):
    trained = tsm(resnet50(num_classes=10), seed=1)
    path = tmp_path / "tsm.pt"
    torch.save(trained.state_dict(), path)
    online = vtt.to_online(tsm(resnet50(num_classes=10), seed=2)).eval()
    online.load_state_dict(torch.load(path))
    assert online.state_dict().keys() == trained.state_dict().keys()
    x = clip()
    want = offline_per_frame(trained, x)
    with torch.no_grad():
        for t in range(T):
            assert_close(online.step(frame(x, t)), want[:, t])


def test_state_dict_names_are_the_offline_ones_also_inside_another_module():
    offline = tsm(resnet50(num_classes=10), seed=1)
    online = vtt.to_online(offline)
    assert online.state_dict().keys() == offline.state_dict().keys()
    outer = torch.nn.Sequential(online)
    keys = outer.state_dict().keys()
    assert keys == {"0." + k for k in offline.state_dict()} and len(keys) == len(offline.state_dict())
    fresh = torch.nn.Sequential(vtt.to_online(tsm(resnet50(num_classes=10), seed=2)))
    fresh.load_state_dict(outer.state_dict())  # strict
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), outer.state_dict().values()))


needs_onnx_export = pytest.mark.skipif(
    not _versions.has(_versions.ONNX_EXPORT_FLOOR),
    reason=f"ONNX export of vidtemporal ops needs torch {_versions.ONNX_EXPORT_FLOOR} "
           "(test_export_on_older_torch_is_a_clear_error)")


@pytest.mark.skipif(_versions.has(_versions.ONNX_EXPORT_FLOOR), reason="this torch exports")
def test_export_on_older_torch_is_a_clear_error(tmp_path):
    online = vtt.to_online(tsm(MobileNetV2(num_classes=10)))
    with pytest.raises(RuntimeError, match=r"OnlineModel.export_onnx needs torch 2\.8 or newer; this is torch"):
        online.export_onnx(tmp_path / "online.onnx", (N, 3, 32, 32))
    assert not (tmp_path / "online.onnx").exists()


@needs_onnx_export
def test_export_leaves_mode_statistics_and_buffers_alone(tmp_path):
    pytest.importorskip("onnxscript")
    online = vtt.to_online(tsm(MobileNetV2(num_classes=10))).train()
    online.step(clip()[:N])
    before = {k: v.clone() for k, v in online.state_dict().items()}
    buffers = [b.clone() for b in online.buffers_now()]
    online.export_onnx(tmp_path / "online.onnx", (N, 3, 32, 32))
    assert online.training and all(m.training for m in online.modules())
    assert all(torch.equal(before[k], v) for k, v in online.state_dict().items())
    assert all(torch.equal(a, b) for a, b in zip(buffers, online.buffers_now()))


def test_reset_of_one_stream():
    shift = vtt.TemporalShift(None, T, 4, mode="unidirectional")
    online = vtt.to_online(shift)
    x = clip(channels=8)
    for t in range(2):
        online.step(frame(x, t))
    online.reset(1)
    # Stream 0 continues its clip (frame 2 reads frame 1); stream 1 starts over (reads zeros).
    got = online.step(frame(x, 2))
    want_continuing = offline_per_frame(shift, x)[0, 2]
    fresh = vtt.to_online(shift).step(frame(x, 2))
    assert torch.equal(got[0], want_continuing) and torch.equal(got[1], fresh[1])
    for bad in (2, -1, "a", 1.0, True):
        with pytest.raises(ValueError, match="stream must be an int in \\[0, 2\\)"):
            online.reset(bad)
    online.reset(np.int64(1))  # any integer type
    with pytest.raises(ValueError, match="stream must be an int in >= 0"):
        vtt.to_online(shift).reset("a")  # before any step


@pytest.mark.parametrize("make, named", [
    (lambda: torch.nn.Sequential(torch.nn.Conv2d(8, 8, 1), vtt.TemporalShift(None, T, 8)), "1 is a TemporalShift with "
                                                                                        "mode='bidirectional'"),
    (lambda: torch.nn.Sequential(vtt.TemporalInterlace(16, T)), "0 is a TemporalInterlace"),
    (lambda: torch.nn.Sequential(torch.nn.Identity(), vtt.MotionSqueeze(16, T, reduced=8)), "1 is a MotionSqueeze"),
    (lambda: torch.nn.ModuleDict({"gta": vtt.GlobalTemporalAttention(16, T, groups=4)}), "gta is a "
                                                                                        "GlobalTemporalAttention"),
])
def test_networks_needing_future_frames_are_refused(make, named):
    with pytest.raises(ValueError, match=f"to_online: {named}"):
        vtt.to_online(make())


def test_bidirectional_tsm_resnet_is_refused_naming_the_first_shift():
    with pytest.raises(ValueError, match="to_online: layer1.0.conv1 is a TemporalShift with mode='bidirectional'"):
        vtt.to_online(vtt.make_temporal_shift(resnet50(num_classes=10), T))


@needs_onnx_export
@pytest.mark.parametrize("layout", ["resnet50", "mobilenet_v2"])
def test_onnx_step_with_explicit_buffers(tmp_path, layout):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    offline = tsm(resnet50(num_classes=10) if layout == "resnet50" else MobileNetV2(num_classes=10))
    online = vtt.to_online(offline).eval()
    path = tmp_path / "online.onnx"
    shapes = online.export_onnx(path, (N, 3, 32, 32))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    k = len(online.buffer_names)
    assert inputs == ["frames", *[f"buffer_{i}" for i in range(k)]]
    assert outputs == ["output", *[f"new_buffer_{i}" for i in range(k)]]
    assert [tuple(i.shape) for i in session.get_inputs()[1:]] == shapes
    buffers = [np.zeros(s, np.float32) for s in shapes]
    x = clip()
    online.reset()
    with torch.no_grad():
        for t in range(T):
            result = session.run(None, {"frames": frame(x, t).numpy(), **dict(zip(inputs[1:], buffers))})
            output, buffers = result[0], result[1:]
            want = online.step(frame(x, t))
            assert_close(torch.from_numpy(output), want)
            for got_buffer, want_buffer in zip(buffers, online.buffers_now()):
                assert_close(torch.from_numpy(got_buffer), want_buffer)


@needs_onnx_export
def test_torch_free_example_streams_through_onnxruntime(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    online = vtt.to_online(tsm(MobileNetV2(num_classes=10))).eval()
    path = tmp_path / "online.onnx"
    online.export_onnx(path, (1, 3, 32, 32))
    # The example with torch made unimportable: it runs on onnxruntime and numpy alone.
    code = ("import runpy, sys; sys.modules['torch'] = None; "
            f"sys.argv = ['onnx_stream.py', {str(path)!r}, '--frames', '6']; "
            f"runpy.run_path({os.path.abspath(EXAMPLE)!r}, run_name='__main__')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 frames" in run.stdout
