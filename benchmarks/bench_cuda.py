"""GPU workloads: Ember on CuPy beside PyTorch on CUDA (same process, same card).

    python benchmarks/bench_cuda.py           # basic ops, then bench_nn's training steps

Every step ends with a device synchronisation, so times count the kernels' work.
"""

from __future__ import annotations

import sys

import bench_nn
from harness import Workload, run


def _on_gpu(make):
    """Wrap ``make(lib, device) -> step`` so the timed step synchronises the device."""

    def setup(lib):
        step = make(lib, "cuda")

        def timed():
            step()
            lib.cuda.synchronize()

        return timed

    return setup


def add_16m(lib, device):
    a, b = lib.rand(1 << 24, device=device), lib.rand(1 << 24, device=device)
    return lambda: a + b


def matmul_4096(lib, device):
    a, b = lib.rand(4096, 4096, device=device), lib.rand(4096, 4096, device=device)
    return lambda: a @ b


def softmax_rows(lib, device):
    x = lib.randn(8192, 1024, device=device)
    return lambda: lib.softmax(x, dim=-1)


def sum_rows(lib, device):
    x = lib.randn(8192, 4096, device=device)
    return lambda: x.sum(dim=1)


def tiny_add(lib, device):
    a, b = lib.ones(4, device=device), lib.ones(4, device=device)
    return lambda: a + b


def conv_backward(lib, device):
    conv = lib.nn.Conv2d(64, 64, 3, padding=1).to(device)
    x = lib.randn(32, 64, 56, 56, device=device, requires_grad=True)

    def step():
        conv(x).sum().backward()

    return step


WORKLOADS = [
    Workload("cuda tiny add (launch overhead)", _on_gpu(tiny_add)),
    Workload("cuda add 16M float32", _on_gpu(add_16m)),
    Workload("cuda matmul 4096 float32", _on_gpu(matmul_4096), unit="ms"),
    Workload("cuda softmax 8192x1024", _on_gpu(softmax_rows)),
    Workload("cuda sum rows 8192x4096", _on_gpu(sum_rows)),
    Workload("cuda conv3x3 64ch 56x56 fwd+bwd (batch 32)", _on_gpu(conv_backward), unit="ms"),
]

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else None
    run(WORKLOADS, name)
    bench_nn.DEVICE = "cuda"
    run(bench_nn.WORKLOADS, name)
