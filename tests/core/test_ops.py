"""Runs every entry of the op table (opdb_*.py) through the generic checks."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

MODULES = ["arith", "unary", "compare", "reduce", "shape", "index", "linalg", "random", "extra"]
OPS = [op for m in MODULES for op in importlib.import_module(f"opdb_{m}").OPS]
IDS = [op.name for op in OPS]
assert len(set(IDS)) == len(IDS), "op names in the table must be unique"

DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}


def _to_ember(args, dtype, device, requires_grad_idx=()):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            arr = a.astype(dtype) if (dtype is not None and a.dtype.kind == "f") else a
            t = ember.tensor(arr, device=device)
            if i in requires_grad_idx:
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _to_numpy_args(args, dtype):
    return [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in args]


def _flatten(result):
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_flatten(r))
        return out
    return [result]


def _as_numpy(x):
    if isinstance(x, ember.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _check_close(op, result, expected, dtype):
    results, expecteds = _flatten(result), _flatten(expected)
    assert len(results) == len(expecteds), (
        f"{op.name}: {len(results)} outputs, expected {len(expecteds)}"
    )
    for r, e in zip(results, expecteds):
        if op.compare is not None:
            op.compare(r, e)
            continue
        r_np, e_np = _as_numpy(r), np.asarray(e)
        assert r_np.shape == e_np.shape, f"{op.name}: shape {r_np.shape}, expected {e_np.shape}"
        if e_np.dtype.kind in "fc":
            tight = dtype == np.float64
            np.testing.assert_allclose(
                r_np.astype(np.complex128 if e_np.dtype.kind == "c" else np.float64),
                e_np,
                rtol=1e-10 if tight else op.rtol,
                atol=1e-12 if tight else op.atol,
                equal_nan=True,
                err_msg=op.name,
            )
        else:
            np.testing.assert_array_equal(r_np, e_np, err_msg=op.name)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_numpy(op, device):
    rng = np.random.default_rng(1234)
    for dtype_name in op.dtypes:
        dtype = DTYPES[dtype_name]
        for sample in op.samples(rng):
            result = op.op(*_to_ember(sample.args, dtype, device), **sample.kwargs)
            expected = op.ref(*_to_numpy_args(sample.args, dtype), **sample.kwargs)
            _check_close(op, result, expected, dtype)
            if op.method is not None and isinstance(sample.args[0], np.ndarray):
                args = _to_ember(sample.args, dtype, device)
                via_method = getattr(args[0], op.method)(*args[1:], **sample.kwargs)
                _check_close(op, via_method, expected, dtype)
    if op.int_samples is not None:
        for sample in op.int_samples(rng):
            result = op.op(*_to_ember(sample.args, None, device), **sample.kwargs)
            expected = op.ref(*sample.args, **sample.kwargs)
            _check_close(op, result, expected, None)


def _grad_indices(sample):
    if sample.grad_args is not None:
        return sample.grad_args
    return tuple(i for i, a in enumerate(sample.args)
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f")


def _tensor_fn(op, sample):
    def fn(*tensors):
        return op.op(*tensors, **sample.kwargs)

    return fn


GRAD_OPS = [op for op in OPS if op.grad]


@pytest.mark.parametrize("op", GRAD_OPS, ids=[op.name for op in GRAD_OPS])
def test_gradcheck(op, device):
    rng = np.random.default_rng(99)
    for sample in op.samples(rng):
        idx = _grad_indices(sample)
        if not idx:
            continue
        args = _to_ember(sample.args, np.float64, device, idx)
        fn = _tensor_fn(op, sample)
        assert gradcheck(fn, tuple(args), eps=1e-6, atol=1e-5, rtol=1e-3), sample


@pytest.mark.parametrize(
    "op", [op for op in OPS if op.grad and op.gradgrad],
    ids=[op.name for op in OPS if op.grad and op.gradgrad],
)
def test_gradgradcheck(op, device):
    rng = np.random.default_rng(7)
    for sample in op.samples(rng)[:3]:  # second derivatives are costly: the first three samples
        idx = _grad_indices(sample)
        if not idx:
            continue
        args = _to_ember(sample.args, np.float64, device, idx)
        assert gradgradcheck(_tensor_fn(op, sample), tuple(args), atol=1e-4, rtol=1e-3), sample


@pytest.mark.parametrize(
    "op", [op for op in OPS if op.errors], ids=[op.name for op in OPS if op.errors]
)
def test_error_inputs(op, device):
    rng = np.random.default_rng(3)
    for err in op.errors(rng):
        args = _to_ember(err.sample.args, None, device)
        with pytest.raises(err.error, match=err.match):
            op.op(*args, **err.sample.kwargs)
