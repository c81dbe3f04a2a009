"""Streams a synthetic clip through an online TSM network exported to ONNX, with onnxruntime and
numpy only (no torch, no vidtemporal): what a deployment runs.

    python examples/onnx_stream.py online.onnx [--frames 16]

The model is ``vidtemporal.torch.to_online(model).export_onnx("online.onnx", (N, 3, H, W))``:
inputs ``frames`` then ``buffer_0 ..``, outputs ``output`` then ``new_buffer_0 ..``. A clip starts
with zero buffers; each step's new buffers are the next step's buffers.
"""
import argparse
import time

import numpy as np
import onnxruntime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the exported online model (.onnx)")
    parser.add_argument("--frames", type=int, default=16, help="frames to stream")
    args = parser.parse_args(argv)

    session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    frame_input, *buffer_inputs = session.get_inputs()
    buffers = {b.name: np.zeros(b.shape, np.float32) for b in buffer_inputs}   # a new clip
    rng = np.random.default_rng(0)
    # A synthetic clip: a bright square moving across a noisy background.
    n, c, h, w = frame_input.shape
    latencies, outputs = [], []
    for t in range(args.frames):
        frame = rng.standard_normal((n, c, h, w)).astype(np.float32) * 0.1
        x = (t * w // max(args.frames, 1)) % max(w - w // 4, 1)
        frame[:, :, h // 3:h // 3 + h // 4, x:x + w // 4] += 1.0
        start = time.perf_counter()
        output, *new_buffers = session.run(None, {frame_input.name: frame, **buffers})
        latencies.append(time.perf_counter() - start)
        buffers = {b.name: value for b, value in zip(buffer_inputs, new_buffers)}
        outputs.append(output)
    assert all(np.isfinite(o).all() for o in outputs)
    print(f"streamed {args.frames} frames of {n} stream(s), {h} x {w}, {len(buffer_inputs)} shift buffers: "
          f"median {np.median(latencies) * 1e3:.2f} ms per frame; last output shape {outputs[-1].shape}")


if __name__ == "__main__":
    main()
