"""Peak extra memory of one motion_squeeze forward and backward, for bench.py: run in a fresh
process, with the inputs and outputs in memory and the thread pool up, the peak resident memory
over one forward and backward (its high-water mark reset first) minus the resident memory before.

    python motion_squeeze_peak.py N T C H W P THREADS   (prints bytes)
"""
import sys

import numpy as np

from vidtemporal import _C, set_num_threads


def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))


def run(x, t, p):
    out, grad_x = np.ones((x.shape[0], 3) + x.shape[2:], x.dtype), np.ones_like(x)
    _C.motion_squeeze_forward(x, out, t, p, 5.0, 100.0, True)
    _C.motion_squeeze_backward(out, x, grad_x, t, p, 5.0, 100.0, True)


def main():
    n, t, c, h, w, p, threads = (int(a) for a in sys.argv[1:])
    set_num_threads(threads)
    run(np.ones((threads * t, 2, 8, 8), np.float32), t, p)   # the threads and their scratch up
    x = np.random.default_rng(7).standard_normal((n * t, c, h, w), dtype=np.float32)
    out, grad_x = np.ones((n * t, 3, h, w), np.float32), np.ones_like(x)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")   # resets the high-water mark to the current resident size
    before = status("VmRSS")
    _C.motion_squeeze_forward(x, out, t, p, 5.0, 100.0, True)
    _C.motion_squeeze_backward(out, x, grad_x, t, p, 5.0, 100.0, True)
    print(status("VmHWM") - before)


if __name__ == "__main__":
    main()
