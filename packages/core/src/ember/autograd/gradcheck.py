"""Gradient checks by finite differences: ``gradcheck`` and ``gradgradcheck``.

``gradcheck`` compares the Jacobian that backward computes (one vector-Jacobian product per
output element) with central differences ``(f(x + eps) - f(x - eps)) / 2 eps`` for every input
element. Inputs should be float64: in float32 the differences are dominated by rounding.
``gradgradcheck`` runs the same check on the function ``x -> grad(f(x), x, v)``, which verifies
second derivatives (and that backward was itself differentiable).
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _tensor_cls():
    from .._tensor import Tensor

    return Tensor


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, _tensor_cls()) and o.requires_grad]


def _float_outputs(outputs):
    Tensor = _tensor_cls()
    return [o for o in outputs if isinstance(o, Tensor) and o._data.dtype.kind in "fc"]


def _numerical_jacobian(func, inputs, index, eps):
    """d outputs / d inputs[index], one column per input element (float64 numpy)."""
    data = inputs[index]._data
    columns = []
    if True:  # evaluated in grad mode: func may itself differentiate (gradgradcheck)
        for k in np.ndindex(data.shape):
            original = data[k].item()
            data[k] = original + eps
            plus = [np.asarray(o.numpy(force=True), dtype=np.float64).ravel().copy()
                    for o in _float_outputs(_as_tuple(func(*inputs)))]
            data[k] = original - eps
            minus = [np.asarray(o.numpy(force=True), dtype=np.float64).ravel().copy()
                     for o in _float_outputs(_as_tuple(func(*inputs)))]
            data[k] = original
            columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
                           if plus else np.zeros(0))
    if not columns:  # an input with no elements: a Jacobian with no columns
        n_out = sum(o.numel() for o in _float_outputs(_as_tuple(func(*inputs))))
        return np.zeros((n_out, 0))
    return np.stack(columns, axis=1)


def _analytical_jacobian(func, inputs, index):
    from .._tensor import _make
    from . import grad as autograd_grad

    outputs = _float_outputs(_as_tuple(func(*inputs)))
    x = inputs[index]
    rows = []
    for out in outputs:
        n = out.numel()
        xp = out._xp()
        for k in range(n):
            if not out.requires_grad:
                rows.append(np.zeros(x.numel()))
                continue
            seed = xp.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            (g,) = autograd_grad(out, x, _make(seed.reshape(out._data.shape)),
                                 retain_graph=True, allow_unused=True)
            if g is None:
                rows.append(np.zeros(x.numel()))
            else:
                rows.append(np.asarray(g.numpy(force=True), dtype=np.float64).ravel())
    if not rows:
        return np.zeros((0, x.numel()))
    return np.stack(rows, axis=0)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, **unused) -> bool:
    """Check ``func``'s gradients against finite differences.

    Args:
        func: takes ``*inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple; those with ``requires_grad=True`` are checked.
        eps, atol, rtol: the perturbation and tolerances (as PyTorch's defaults).

    Returns:
        True, or raises ``GradcheckError`` naming the input and the largest mismatch
        (returns False instead when ``raise_exception=False``).
    """
    Tensor = _tensor_cls()
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x._data.dtype != np.float64 and x._data.dtype.kind == "f":
            import warnings

            warnings.warn(
                f"gradcheck: input {i} is {x.dtype}, not float64; the check may fail from "
                f"rounding alone",
                UserWarning,
                stacklevel=2,
            )
        analytical = _analytical_jacobian(func, inputs, i)
        numerical = _numerical_jacobian(func, inputs, i, eps)
        if analytical.shape != numerical.shape or not np.allclose(
            analytical, numerical, rtol=rtol, atol=atol
        ):
            diff = np.abs(analytical - numerical) if analytical.shape == numerical.shape else None
            detail = (
                f"max abs difference {diff.max():.3g}" if diff is not None and diff.size
                else f"shapes {analytical.shape} vs {numerical.shape}"
            )
            message = (
                f"Jacobian mismatch for output 0 with respect to input {i} ({detail}),\n"
                f"numerical:\n{numerical}\nanalytical:\n{analytical}"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, **unused) -> bool:
    """Check second derivatives: gradcheck of ``(x, v) -> grad(func(x), x, v, create_graph)``.

    ``grad_outputs`` (the ``v``) default to random float64 tensors that themselves require
    grad, so the check covers the derivative with respect to them too.
    """
    from .._tensor import _make
    from . import grad as autograd_grad

    Tensor = _tensor_cls()
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).to(o.device)
            .requires_grad_() for o in outputs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_index = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(_as_tuple(func(*xs)))
        grads = autograd_grad(outs, [xs[i] for i in diff_index], list(vs),
                              create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
