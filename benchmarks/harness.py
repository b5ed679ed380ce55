"""Timing harness: run each workload on Ember and, when PyTorch is importable, on PyTorch in the
same process, and print both times and their ratio.

A workload is a function ``setup(lib) -> step`` where ``lib`` is the ``ember`` or ``torch``
module; the same code builds the same computation on either, and ``step()`` is what is timed.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Workload:
    name: str
    setup: Callable  # setup(lib) -> step()
    unit: str = "us"  # how to print one step: "us" or "ms"
    min_time: float = 0.5  # seconds of timing per repeat
    repeats: int = 5


def _time_step(step: Callable, min_time: float, repeats: int) -> float:
    """Median seconds per call over ``repeats`` batches of at least ``min_time`` each."""
    step()  # warm up (allocations, caches, lazy imports)
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 5 or number >= 1 << 20:
            break
        number *= 2
    per_batch = max(1, int(number * (min_time / max(elapsed, 1e-9)) / repeats))
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(per_batch):
                step()
            samples.append((time.perf_counter() - start) / per_batch)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples)


def _libraries():
    import ember

    libs = [("ember", ember)]
    try:
        import torch

        torch.set_num_threads(2)
        libs.append(("torch", torch))
    except ImportError:
        pass
    return libs


def run(workloads: list[Workload], name_filter: str | None = None) -> list[dict]:
    """Time every workload on every library; print a table; return the rows."""
    libs = _libraries()
    rows = []
    header = f"{'workload':<44} {'ember':>12} {'torch':>12} {'ember/torch':>12}"
    print(header)
    print("-" * len(header))
    for w in workloads:
        if name_filter and name_filter not in w.name:
            continue
        times = {}
        for lib_name, lib in libs:
            step = w.setup(lib)
            times[lib_name] = _time_step(step, w.min_time, w.repeats)
        scale, unit = (1e6, "us") if w.unit == "us" else (1e3, "ms")
        e = times["ember"] * scale
        t = times.get("torch")
        t_str = f"{t * scale:10.2f}{unit}" if t is not None else f"{'-':>12}"
        ratio = f"{times['ember'] / t:11.2f}x" if t else f"{'-':>12}"
        print(f"{w.name:<44} {e:10.2f}{unit} {t_str} {ratio}", flush=True)
        rows.append({"workload": w.name, **times})
    return rows
