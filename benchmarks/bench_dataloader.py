"""DataLoader throughput: one epoch with num_workers=0 against worker processes (and, when
PyTorch is importable, torch's DataLoader on the same dataset), on two workloads.

    python benchmarks/bench_dataloader.py                      # both workloads, 2 workers
    python benchmarks/bench_dataloader.py --workload png --images 1024 --size 128
    python benchmarks/bench_dataloader.py --workload memory --repeats 7
    EMBER_DATALOADER_SHM=0 python benchmarks/bench_dataloader.py --workload memory  # pipes only

``png``: decoding-bound (small batches, per-sample Python work).
``memory``: transport-bound: an in-memory float32 dataset of 3x32x32 images in batches of 128
(1.5 MiB per batch), so an epoch measures how fast batches travel from the workers to the main
process (shared memory above 64 KiB per array, or the pipe when that is turned off).

Each sample is a PNG decoded with Pillow and converted to a normalised float32 CHW array: the
per-sample Python work that worker processes exist to parallelise. Three figures per library:
an epoch in the main process, an epoch with workers started for it (what an epoch costs with
``persistent_workers=False``), and a steady-state epoch with persistent workers.
Pillow is needed (``pip install pillow``); it is a vision dependency, not one of ember's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]


class PngFolder:
    """Map-style dataset over PNG files: decode, scale to [0, 1], normalise, HWC -> CHW.
    Returns NumPy arrays, so the same dataset feeds ember's and torch's default_collate."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        with Image.open(self.paths[index]) as img:
            pixels = np.asarray(img.convert("RGB"), dtype=np.float32)
        chw = pixels.transpose(2, 0, 1) / 255.0
        return (chw - _MEAN) / _STD, index % 10


class InMemoryImages:
    """Map-style dataset over a float32 ``(N, 3, 32, 32)`` array held in memory: almost no
    per-sample work, so worker epochs are dominated by moving batches between processes."""

    def __init__(self, count: int, size: int = 32) -> None:
        rng = np.random.default_rng(0)
        self.images = rng.standard_normal((count, 3, size, size), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.images[index], index % 10


def make_pngs(folder: str, count: int, size: int) -> list[str]:
    """``count`` random RGB images (noise on a gradient, so they are not trivially small)."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 200, size, dtype=np.float32)[None, :, None]
    paths = []
    for i in range(count):
        noise = rng.integers(0, 56, size=(size, size, 3), dtype=np.uint8)
        image = (ramp + noise).astype(np.uint8)
        path = os.path.join(folder, f"img_{i:05d}.png")
        Image.fromarray(image, "RGB").save(path)
        paths.append(path)
    return paths


def time_epochs(loader, repeats: int) -> float:
    """Median seconds per full pass over ``loader``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _batch in loader:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(lib, dataset, args) -> dict[str, float]:
    DataLoader = lib.utils.data.DataLoader
    kw = {"batch_size": args.batch_size, "shuffle": True}
    results = {"workers=0": time_epochs(DataLoader(dataset, **kw), args.repeats)}
    fresh = DataLoader(dataset, num_workers=args.workers, **kw)
    results[f"workers={args.workers}"] = time_epochs(fresh, args.repeats)
    persistent = DataLoader(dataset, num_workers=args.workers, persistent_workers=True, **kw)
    time_epochs(persistent, 1)  # start the workers
    results[f"workers={args.workers} persistent"] = time_epochs(persistent, args.repeats)
    del persistent
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["png", "memory", "all"], default="all")
    parser.add_argument("--images", type=int, default=None, help="png: 512; memory: 8192")
    parser.add_argument("--size", type=int, default=None, help="png: 64; memory: 32")
    parser.add_argument("--batch-size", type=int, default=None, help="png: 32; memory: 128")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "packages", "core", "src"))
    import ember

    libs = [("ember", ember)]
    try:
        import torch

        libs.append(("torch", torch))
    except ImportError:
        pass

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    shm = os.environ.get("EMBER_DATALOADER_SHM", "default")
    workloads = ["png", "memory"] if args.workload == "all" else [args.workload]
    for workload in workloads:
        defaults = {"png": (512, 64, 32), "memory": (8192, 32, 128)}[workload]
        wargs = argparse.Namespace(**vars(args))
        for key, default in zip(("images", "size", "batch_size"), defaults, strict=True):
            if getattr(wargs, key) is None:
                setattr(wargs, key, default)
        with tempfile.TemporaryDirectory(prefix="bench_dataloader_") as folder:
            start = time.perf_counter()
            if workload == "png":
                dataset = PngFolder(make_pngs(folder, wargs.images, wargs.size))
                what = f"{wargs.images} PNGs of {wargs.size}x{wargs.size} RGB written"
            else:
                dataset = InMemoryImages(wargs.images, wargs.size)
                mib = wargs.batch_size * 3 * wargs.size**2 * 4 / 2**20
                what = (
                    f"{wargs.images} in-memory float32 images 3x{wargs.size}x{wargs.size} "
                    f"({mib:.2f} MiB per batch) made"
                )
            print(
                f"[{workload}] {what} in {time.perf_counter() - start:.2f}s; "
                f"batch_size={wargs.batch_size}, {cpus} CPUs, EMBER_DATALOADER_SHM={shm}"
            )
            for name, lib in libs:
                results = bench(lib, dataset, wargs)
                base = results["workers=0"]
                print(f"{name}: one epoch (median of {wargs.repeats})")
                for label, seconds in results.items():
                    rate = wargs.images / seconds
                    print(
                        f"  {label:<24} {seconds * 1e3:8.1f} ms  {rate:8.0f} images/s  "
                        f"speed-up {base / seconds:4.2f}x"
                    )
            print()


if __name__ == "__main__":
    main()
