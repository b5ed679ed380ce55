"""Per-operation overhead and a few basic op workloads (core issue).

    python benchmarks/bench_ops.py            # all
    python benchmarks/bench_ops.py tiny       # only names containing 'tiny'
"""

from __future__ import annotations

import sys

from harness import Workload, run


def tiny_add(lib):
    a, b = lib.ones(4), lib.ones(4)
    return lambda: a + b


def tiny_add_recording(lib):
    a = lib.ones(4, requires_grad=True)
    b = lib.ones(4)
    return lambda: a + b


def tiny_mul_scalar(lib):
    a = lib.ones(4)
    return lambda: a * 2.0


def tiny_add_backward(lib):
    a = lib.ones(4, requires_grad=True)
    b = lib.ones(4, requires_grad=True)

    def step():
        (a * b + a).sum().backward()

    return step


def elementwise_1m(lib):
    x = lib.rand(1000, 1000)
    y = lib.rand(1000, 1000)
    return lambda: (x * y + x).exp()


def matmul_512(lib):
    x = lib.rand(512, 512)
    y = lib.rand(512, 512)
    return lambda: x @ y


def mlp_forward_backward(lib):
    x = lib.randn(64, 256)
    w1 = lib.randn(256, 256, requires_grad=True)
    w2 = lib.randn(256, 10, requires_grad=True)

    def step():
        h = (x @ w1).tanh()
        loss = (h @ w2).exp().mean()
        loss.backward()
        w1.grad = None
        w2.grad = None

    return step


def sum_dim(lib):
    x = lib.rand(256, 1024)
    return lambda: x.sum(1)


WORKLOADS = [
    Workload("tiny add (4 elements, no grad)", tiny_add),
    Workload("tiny add (4 elements, recording)", tiny_add_recording),
    Workload("tiny mul by Python scalar", tiny_mul_scalar),
    Workload("tiny a*b+a, sum, backward", tiny_add_backward),
    Workload("elementwise (x*y+x).exp() 1M float32", elementwise_1m, unit="ms"),
    Workload("matmul 512x512 float32", matmul_512, unit="ms"),
    Workload("sum over dim 1, 256x1024", sum_dim),
    Workload("MLP 64x256 tanh, forward+backward", mlp_forward_backward, unit="ms"),
]

if __name__ == "__main__":
    run(WORKLOADS, sys.argv[1] if len(sys.argv) > 1 else None)
