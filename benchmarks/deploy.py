"""Deployment benchmark, every number from the same run:

1. The exported TSM ResNet-50 (one clip of T = 8 frames, 224 x 224, inference) in onnxruntime,
   next to eager torch with vidtemporal's shift.
2. Per-frame latency of one live stream at 224 x 224: the online ResNet-50 and MobileNetV2
   (``to_online``; torch eager and onnxruntime) against re-running the offline network on a
   sliding window of the last T frames, which is what one does without streaming. A step should
   cost about 1/T of the window.

    python benchmarks/deploy.py [--quick] [--size 224] [--frames 8]
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnxruntime
import torch

import vidtemporal
import vidtemporal.torch as vtt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from bench import machine, timeit as median_seconds  # noqa: E402  (the benchmarks' one timer)
from torchvision_mobilenet import MobileNetV2  # noqa: E402
from torchvision_resnet import resnet50  # noqa: E402


def session(path, threads):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(model, args, path):
    torch.onnx.export(model.eval(), tuple(args), str(path), dynamo=True, verbose=False)
    return path


def eager_and_onnxruntime(model, clip, path, threads, repeat):
    """Seconds of model(clip) in eager torch and of its export in onnxruntime."""
    export(model, [clip], path)
    ort = session(path, threads)
    feed = {ort.get_inputs()[0].name: clip.numpy()}
    return median_seconds(lambda: model(clip), repeat), median_seconds(lambda: ort.run(None, feed), repeat)


def network(name, t, mode):
    torch.manual_seed(0)
    base = resnet50(num_classes=400) if name == "ResNet-50" else MobileNetV2(num_classes=400)
    return vtt.make_temporal_shift(base, t, mode=mode).eval()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks/deploy.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--frames", type=int, default=8, help="T: the clip, and the sliding window")
    args = parser.parse_args(argv)
    threads = vidtemporal.get_num_threads()
    torch.set_num_threads(threads)
    repeat = 3 if args.quick else 7
    t, size = args.frames, args.size
    print(machine()[1])
    print(f"deployment: onnxruntime {onnxruntime.__version__}, {size} x {size}, T = {t}, median of {repeat} runs")
    rng = np.random.default_rng(0)
    clip = torch.from_numpy(rng.standard_normal((t, 3, size, size), dtype=np.float32))
    one = clip[-1:].clone()
    with tempfile.TemporaryDirectory() as directory, torch.no_grad():
        rows = []
        for name in ("ResNet-50", "MobileNetV2"):
            if name == "ResNet-50":
                eager, ort = eager_and_onnxruntime(network(name, t, "bidirectional"), clip,
                                                   os.path.join(directory, "offline.onnx"), threads, repeat)
                print(f"\nexported TSM ResNet-50, one clip of {t} frames (offline, bidirectional):")
                print(f"  eager torch + vidtemporal   {eager * 1e3:9.1f} ms")
                print(f"  onnxruntime                 {ort * 1e3:9.1f} ms   ({eager / ort:.2f}x eager)")

            # Streaming: the unidirectional network, its sliding window and its online step.
            offline = network(name, t, "unidirectional")
            window_eager, window_ort = eager_and_onnxruntime(offline, clip, os.path.join(directory, "window.onnx"),
                                                             threads, repeat)
            online = vtt.to_online(offline).eval()
            step_eager = median_seconds(lambda: online.step(one), repeat)
            path = os.path.join(directory, "online.onnx")
            shapes = online.export_onnx(path, tuple(one.shape))
            ort_online = session(path, threads)
            feed = {"frames": one.numpy(), **{f"buffer_{i}": np.zeros(s, np.float32) for i, s in enumerate(shapes)}}
            step_ort = median_seconds(lambda: ort_online.run(None, feed), repeat)
            rows.append((name, step_eager, window_eager, step_ort, window_ort))
        print(f"\nper-frame latency, one stream (online step vs re-running a window of the last {t} frames):")
        print(f"  {'network':<12}{'runtime':<14}{'online step':>12}{'window':>10}{'window/step':>13}")
        for name, step_eager, window_eager, step_ort, window_ort in rows:
            for runtime, step, window in (("torch eager", step_eager, window_eager),
                                          ("onnxruntime", step_ort, window_ort)):
                print(f"  {name:<12}{runtime:<14}{step * 1e3:9.1f} ms{window * 1e3:7.1f} ms{window / step:11.2f}x"
                      f"   (T = {t})")


if __name__ == "__main__":
    main()
