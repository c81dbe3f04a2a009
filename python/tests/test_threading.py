"""Under torch the kernels' tasks run on the process's OpenMP threads (torch's, which spin after
each torch op); elsewhere, and with VT_THREADING=dispatch, on Dispatch's. Either way each task
computes a fixed part of the output, so the results are the same bits; and a child forked after
the parent ran kernels on OpenMP threads (a DataLoader worker) runs them on Dispatch's instead
of on OpenMP threads that did not survive the fork."""
import os
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

import vidtemporal as vt  # noqa: E402
import vidtemporal.torch as vtt  # noqa: E402

SCRIPT = r"""
import sys, torch, vidtemporal as vt, vidtemporal.torch as vtt
vt.set_num_threads(int(sys.argv[1]))
g = torch.Generator().manual_seed(0)
x = torch.randn(16, 64, 14, 14, generator=g, requires_grad=True)
v, attn = torch.randn(16, 96, 49, generator=g, requires_grad=True), torch.randn(2, 2, 8, 8, generator=g, requires_grad=True)
q = torch.randn(16, 32, 49, generator=g, requires_grad=True)
outputs = [vtt.temporal_shift(x, 8), vtt.correlation(x, x.flip(0), 5), vtt.motion_squeeze(x, 8, 5),
           vtt.global_temporal_attention(v, attn, 8), vtt.spatial_attention(q, q, q), vtt.region_pool(v, q)]
loss = sum((o.double() ** 2).sum() for o in outputs)
grads = torch.autograd.grad(loss, (x, v, attn, q))
torch.save([o.detach() for o in outputs] + list(grads), sys.argv[2])
"""


@pytest.mark.parametrize("threads", [2, 3])
def test_openmp_and_dispatch_threads_give_the_same_bits(tmp_path, threads):
    results = {}
    for choice in ("openmp", "dispatch"):
        env = dict(os.environ)
        env.pop("VT_THREADING", None)
        if choice == "dispatch":
            env["VT_THREADING"] = "dispatch"
        path = tmp_path / f"{choice}.pt"
        subprocess.run([sys.executable, "-c", SCRIPT, str(threads), str(path)], check=True, env=env, timeout=300)
        results[choice] = torch.load(path)
    for a, b in zip(results["openmp"], results["dispatch"]):
        assert torch.equal(a, b)


def test_forked_child_runs_kernels():
    x = torch.randn(64, 64, 28, 28)
    want = vtt.temporal_shift(x, 8), vtt.correlation(x[:8], x[8:16], 5)   # OpenMP threads in the parent
    pid = os.fork()
    if pid == 0:
        try:
            torch.set_num_threads(1)   # as a DataLoader worker: torch's own OpenMP ops hang after fork
            vt.set_num_threads(2)
            got = vtt.temporal_shift(x, 8), vtt.correlation(x[:8], x[8:16], 5)
            os._exit(0 if all(torch.equal(a, b) for a, b in zip(got, want)) else 1)
        except BaseException:
            os._exit(2)
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung")
