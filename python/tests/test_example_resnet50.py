"""examples/resnet50_temporal.py on tiny inputs: every kind trains in the plain loop, the modules
sit where the example says, and they make the frames of a clip interact (TSN's frames do not)."""
import math

import pytest

torch = pytest.importorskip("torch")
import resnet50_temporal as example  # noqa: E402  (examples/ is on the path: conftest.py)
import vidtemporal.torch as vtt  # noqa: E402

MODULES = {"tsn": {}, "tsm": {vtt.TemporalShift: 16}, "tin": {vtt.TemporalInterlace: 16},
           "ms": {vtt.TemporalShift: 16, vtt.MotionSqueeze: 1},
           "gta": {vtt.TemporalShift: 16, vtt.GlobalTemporalAttention: 1}}


@pytest.mark.parametrize("kind", example.KINDS)
def test_kind_trains_and_mixes_frames(kind):
    model, losses = example.train(kind, steps=2, clips=2, frames=4, size=32, num_classes=5)
    assert len(losses) == 2 and all(math.isfinite(loss) for loss in losses)
    for module_type, count in MODULES[kind].items():
        assert sum(isinstance(m, module_type) for m in model.modules()) == count, (kind, module_type)
    # The temporal modules' own parameters are trained by the loop.
    for m in model.modules():
        if isinstance(m, (vtt.TemporalInterlace, vtt.MotionSqueeze, vtt.GlobalTemporalAttention)):
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters()), type(m)
    # Changing frame 0 changes frame 2's scores only when a temporal module connects the frames.
    model.eval()
    clip = torch.randn(4, 3, 32, 32)
    changed = clip.clone()
    changed[0] += 1.0
    with torch.no_grad():
        before, after = model.backbone(clip), model.backbone(changed)
    assert not torch.equal(before[0], after[0])
    assert torch.equal(before[2], after[2]) == (kind == "tsn"), kind


def test_wrong_frame_count_is_an_error():
    model = example.VideoClassifier(example.temporal_resnet50("tsm", 4, 3), 4)
    with pytest.raises(ValueError, match=r"clips must have 4 frames \(N, T, 3, H, W\)"):
        model(torch.randn(1, 3, 3, 32, 32))
