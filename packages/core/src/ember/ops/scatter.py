"""gather and scatter along a dimension: ``gather``, ``scatter``, ``scatter_add`` and
``scatter_reduce``, with their in-place forms.

``gather`` is an ``Index`` and ``scatter``/``scatter_add`` are ``IndexPut`` on a plan that
pairs each element of ``index`` with its position along the other dimensions (see
:mod:`._index_plan`); ``scatter_reduce`` has a Function of its own, with exact gradients for
every reduction (ties in amax/amin share the gradient, zeros in prod are handled).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._index_plan import (
    _ALL,
    Index,
    IndexPut,
    MaskedFill,
    _along_key,
    _check_range,
    _const,
    _index_arg,
    _put_inplace,
    _reshape,
    _same,
    _ufunc_at,
)
from ._util import inplace, normalize_dim, register_methods, xp_of

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]


def _scalar_as_vector(x: Tensor) -> Tensor:
    return _reshape(x, (1,)) if x._data.ndim == 0 else x


def _gather_index(input, dim, index, op, src=None):
    """Validate gather/scatter arguments; returns (dim, index array) with PyTorch's checks."""
    data = input._data
    idx = _index_arg(index, data, op)
    if idx.ndim != data.ndim:
        which = "input" if op == "gather" else "self"
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as {which} tensor "
            f"(got index of shape {list(idx.shape)} and {which} of shape {list(data.shape)})"
        )
    dim = normalize_dim(dim, data.ndim, op)
    too_big = [d for d in range(data.ndim) if d != dim and idx.shape[d] > data.shape[d]]
    small = not too_big
    if src is not None:
        small_src = all(idx.shape[d] <= src.shape[d] for d in range(data.ndim))
        if not (small and small_src):
            raise RuntimeError(
                f"{op}(): Expected index {list(idx.shape)} to be no larger than self "
                f"{list(data.shape)} apart from dimension {dim} and to be no larger size than "
                f"src {list(src.shape)}"
            )
    elif not small:
        raise RuntimeError(
            f"{op}(): Size does not match at dimension {too_big[0]} expected index "
            f"{list(idx.shape)} to be no larger than self {list(data.shape)} apart from "
            f"dimension {dim}"
        )
    size = data.shape[dim] if data.ndim else 1
    _check_range(idx, size, dim, op, negative=False, error=RuntimeError)
    return dim, idx


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` picked along ``dim`` by ``index``:
    ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``.

    ``index`` has ``input``'s number of dimensions and, away from ``dim``, sizes no larger
    than ``input``'s. The gradient scatter-adds back (repeated indices accumulate).

    Returns:
        A tensor of ``index``'s shape.

    Example:
        >>> ember.gather(ember.tensor([[1., 2.], [3., 4.]]), 1, ember.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    if input._data.ndim == 0:
        out = gather(_reshape(input, (1,)), dim, _scalar_as_vector(index))
        return _reshape(out, index.shape)
    dim, idx = _gather_index(input, dim, index, "gather")
    return Index.apply(input, (_ALL, _along_key(idx, dim)))


def _scatter_args(input, dim, index, src, op):
    """(plan, values) of a scatter: values are ``src`` cut to ``index``'s shape, or a number."""
    if not isinstance(src, Tensor):
        dim, idx = _gather_index(input, dim, index, op)
        return (_ALL, _along_key(idx, dim)), src
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): Expected self.dtype to be equal to src.dtype (got {input.dtype.name} and "
            f"{src.dtype.name})"
        )
    dim, idx = _gather_index(input, dim, index, op, src=src._data)
    if src._data.shape != idx.shape:
        src = Index.apply(src, (tuple(slice(0, s) for s in idx.shape) + (Ellipsis,), None))
    return (_ALL, _along_key(idx, dim)), src


def _scalar_scatter(fn, input, dim, index, src, *args, **kwargs):
    """Run a scatter on a 0-d ``input`` as on a 1-element vector (PyTorch accepts both)."""
    if isinstance(src, Tensor):
        src = _scalar_as_vector(src)
    out = fn(_reshape(input, (1,)), dim, _scalar_as_vector(index), src, *args, **kwargs)
    return _reshape(out, ())


def scatter(
    input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number via ``src``/``value``) written
    along ``dim`` at ``index``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``.

    Args:
        reduce: None (overwrite), ``'add'`` or ``'multiply'`` (combine with what is there).
            Unlike PyTorch, the reduced forms are differentiable (as ``scatter_reduce``).

    With repeated indices and ``reduce=None`` the value written is one of the candidates;
    the gradient reaching ``input`` is zero at written positions.
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if input._data.ndim == 0:
        return _scalar_scatter(scatter, input, dim, index, src, reduce=reduce)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("scatter(): reduce argument must be either add or multiply.")
        if not isinstance(src, Tensor):
            xp = xp_of(input._data)
            shape = _index_arg(index, input._data, "scatter").shape
            src = _make(xp.full(shape, src, dtype=input._data.dtype))
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    plan, values = _scatter_args(input, dim, index, src, "scatter")
    return IndexPut.apply(input, values, plan, False, "scatter")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` plus ``src`` added along ``dim`` at ``index`` (repeated indices sum).

    Example:
        >>> ember.scatter_add(ember.zeros(3), 0, ember.tensor([0, 0, 2]), ember.ones(3))
        tensor([2., 0., 1.])
    """
    if input._data.ndim == 0:
        return _scalar_scatter(scatter_add, input, dim, index, src)
    plan, values = _scatter_args(input, dim, index, src, "scatter_add")
    return IndexPut.apply(input, values, plan, True, "scatter_add")


_REDUCE_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                 "amin": "minimum"}


def _reduce_identity(reduce: str, np_dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        return info.min if reduce == "amax" else info.max
    if np_dtype.kind == "b":
        return reduce == "amin"
    return -np.inf if reduce == "amax" else np.inf


class ScatterReduce(Function):
    """``scatter_reduce``: sum/prod/mean/amax/amin of ``src`` (and ``x`` when include_self)
    at each position of ``x`` that ``key`` hits."""

    @staticmethod
    def forward(ctx, x, src, key, reduce, include_self):
        data = x._data
        xp = xp_of(data)
        out = data.copy()
        if not include_self:
            out[key] = _reduce_identity(reduce, data.dtype)
        _ufunc_at(_REDUCE_UFUNC[reduce], out, key, src._data)
        count = None
        if reduce == "mean":
            floating = data.dtype.kind not in "iub"
            count = xp.ones(data.shape, dtype=data.dtype if floating else np.int64)
            if not include_self:
                count[key] = 0
            _ufunc_at("add", count, key, xp.ones((), dtype=count.dtype))
            # PyTorch floors the mean of integers
            out = out / count if floating else out // count
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.key, ctx.reduce, ctx.include_self, ctx.count = key, reduce, include_self, count
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, src, out = ctx.saved_tensors
        key, reduce, incl = ctx.key, ctx.reduce, ctx.include_self
        need_x, need_src = ctx.needs_input_grad[:2]
        plan = (_ALL, key)
        xp = xp_of(grad._data)
        hit = None  # positions some src element reduced into
        if not incl:
            hit = xp.zeros(grad._data.shape, dtype=bool)
            hit[key] = True
        gx = gs = None
        if reduce in ("sum", "mean"):
            g = grad if reduce == "sum" else grad / _const(ctx.count, grad)
            if need_x:
                gx = g if incl else IndexPut.apply(g, 0, plan, False)
            if need_src:
                gs = Index.apply(g, plan)
        elif reduce in ("amax", "amin"):
            # the gradient is shared evenly among the elements equal to the result
            xd, sd, od = x._data, src._data, out._data
            self_hit = _same(xd, od)
            if not incl:
                self_hit &= ~hit
            src_hit = _same(sd, od[key])
            ties = self_hit.astype(grad._data.dtype)
            _ufunc_at("add", ties, key, src_hit)
            ties = xp.where(ties > 0, ties, 1)
            if need_x:
                gx = grad * _const(self_hit / ties, grad)
            if need_src:
                gs = Index.apply(grad, plan) * _const(src_hit / ties[key], grad)
        else:  # prod
            if need_x:
                # d out / d x = the product of the src elements at that position (no division,
                # so zeros are exact); 1 where nothing was scattered
                ones = _make(xp.ones(grad._data.shape, dtype=grad._data.dtype))
                others = ScatterReduce.apply(ones, src, key, "prod", False)
                gx = grad * others
                if not incl:
                    gx = IndexPut.apply(gx, 0, plan, False)
            if need_src:
                gs = _prod_src_grad(grad, x, src, out, key, incl)
        return gx, gs, None, None, None


def _prod_src_grad(grad, x, src, out, key, incl):
    """d out / d src for a scattered product: ``out / src`` where no factor at that position
    is zero; with zeros, the product of the other (non-zero) factors if ``src`` is the only
    zero there, else 0."""
    xp = xp_of(grad._data)
    plan = (_ALL, key)
    xd, sd = x._data, src._data
    src_zero = sd == 0
    zeros = ((xd == 0) if incl else xp.zeros(xd.shape, dtype=bool)).astype(np.int64)
    _ufunc_at("add", zeros, key, src_zero.astype(np.int64))
    if not bool(zeros.any()):
        return Index.apply(grad * out, plan) / src
    safe_src = MaskedFill.apply(src, 1, src_zero)
    main = Index.apply(grad * out, plan) / safe_src  # 0 wherever the position holds a zero
    nonzero_product = xp.where(xd == 0, 1, xd) if incl else xp.ones(xd.shape, dtype=xd.dtype)
    _ufunc_at("multiply", nonzero_product, key, xp.where(src_zero, 1, sd))
    only_zero = src_zero & (zeros[key] == 1)
    extra = xp.where(only_zero, nonzero_product[key], 0)
    return main + Index.apply(grad, plan) * _const(extra, grad)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
    include_self: bool = True,
) -> Tensor:
    """Reduce ``src`` into ``input`` along ``dim`` at ``index``.

    Args:
        reduce: ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``.
        include_self: whether ``input``'s values at the scattered positions take part
            (positions nothing is scattered to keep ``input``'s value either way).

    For integers ``'mean'`` floors. ``amax``/``amin`` share the gradient evenly among tied
    elements; ``prod``'s gradient is exact with zeros.

    Example:
        >>> ember.scatter_reduce(ember.tensor([1., 2.]), 0, ember.tensor([0, 0, 1]),
        ...                      ember.tensor([3., 5., 4.]), "amax")
        tensor([5., 4.])
    """
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(
            f"scatter_reduce(): reduce argument must be one of sum, prod, mean, amax, amin, "
            f"got {reduce!r}"
        )
    if input._data.ndim == 0:
        return _scalar_scatter(scatter_reduce, input, dim, index, src, reduce,
                               include_self=include_self)
    if not isinstance(src, Tensor):
        raise TypeError("scatter_reduce(): argument 'src' must be a Tensor")
    plan, values = _scatter_args(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, values, plan[1], reduce, bool(include_self))


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """In-place :func:`scatter`."""
    if src is None:
        src = value
    if reduce is None and self._data.ndim:
        plan, values = _scatter_args(self, dim, index, src, "scatter_")
        return _put_inplace(self, values, plan, False, "scatter_")
    return inplace(self, scatter, dim, index, src, op="scatter_", reduce=reduce)


def _scatter_add_(self, dim, index, src):
    """In-place :func:`scatter_add`."""
    if self._data.ndim:
        plan, values = _scatter_args(self, dim, index, src, "scatter_add_")
        return _put_inplace(self, values, plan, True, "scatter_add_")
    return inplace(self, scatter_add, dim, index, src, op="scatter_add_")


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """In-place :func:`scatter_reduce`."""
    return inplace(self, scatter_reduce, dim, index, src, reduce, op="scatter_reduce_",
                   include_self=include_self)


register_methods(
    gather=gather,
    scatter=scatter,
    scatter_=_scatter_,
    scatter_add=scatter_add,
    scatter_add_=_scatter_add_,
    scatter_reduce=scatter_reduce,
    scatter_reduce_=_scatter_reduce_,
)
