"""In-place operations on views of tensors in the autograd graph (PyTorch's ``CopySlices``).

After ``y = x * 2; v = y[:, 0]; v.mul_(3)`` the memory of ``y`` holds new values, so ``y``'s
history must change: PyTorch *rebases* it. Ember does the same, generically, without
per-view-op bookkeeping:

1. The view ``v`` shares memory with its root ``b = v._base``. :func:`view_plan` builds, from
   the two arrays' shapes, strides and data pointers only, an index map ``ids`` (``v``'s
   shape): for each element of ``v`` the C-order flat index of the same element in ``b``. It
   is turned into an index plan (see ``ember.ops._index_plan``) over ``b``'s shape.
2. The op runs out of place on :func:`view_source`, a gathered copy ``b[plan]`` that carries
   ``b``'s *current* history (so earlier in-place ops on overlapping views are seen even when
   ``v``'s own ``grad_fn`` predates them).
3. :func:`rebase` (called once the result has been written into ``v``'s memory) gives ``b`` a
   :class:`CopySlices` node: gradient ``grad`` with the written positions zeroed goes to ``b``'s
   old history, ``grad[plan]`` goes to the result; and ``v`` an :class:`AsView` node (its
   gradient is scattered back into ``b``'s shape), so later uses of ``v`` differentiate through
   the rebased ``b``.

The backward passes are written with the differentiable ``Index``/``IndexGrad``/``IndexPut``
primitives, so higher-order gradients work. The cost (an int64 map the size of the root, built
once per in-place op) is paid only while recording; the no-grad path never comes here.

As in PyTorch, a view made *before* an in-place op on its root (or on an overlapping view) is
regenerated when it is next used: ``Function.apply`` compares the version its view-making node
saw (``_view_version``) with the root's and, when they differ, calls :func:`regenerate`, which
reads the view afresh from the root's current history.
"""

from __future__ import annotations

import weakref

import numpy as np

from .function import Function

__all__ = ["CopySlices", "AsView", "view_plan", "view_source", "rebase", "regenerate"]

_as_strided = np.lib.stride_tricks.as_strided

# One-slot cache: check_inplace, the op's source and the final rebase ask for the same map.
# Weak references, so a failed op does not keep a root's memory alive.
_cache: list = [None, None, None]  # [weakref to the view array, to the root array, plan]


def _address(arr) -> int:
    if type(arr) is np.ndarray:
        return arr.__array_interface__["data"][0]
    return int(arr.data.ptr)  # CuPy


def index_map(view, base) -> np.ndarray | None:
    """For each element of array ``view`` (a view of ``base``'s memory), its flat C-order index
    in ``base``, as an int64 NumPy array of ``view``'s shape. ``None`` when ``view`` cannot be
    expressed that way (another dtype, a misaligned offset, memory outside ``base``, or an
    overlapping ``base`` such as an expanded one).

    Example: ``base = np.arange(6.).reshape(2, 3)``, ``view = base.T[1:]`` gives
    ``[[1, 4], [2, 5]]``.
    """
    if view.dtype != base.dtype:
        return None
    item = base.itemsize
    if item == 0:
        return None
    n = base.size
    if view.size == 0 or n == 0:
        return np.zeros(view.shape, dtype=np.int64) if view.size == 0 else None
    offset = _address(view) - _address(base)
    if offset % item or any(s % item for s in base.strides + view.strides):
        return None
    offset //= item
    bstrides = [s // item for s in base.strides]
    vstrides = [s // item for s in view.strides]
    lo = sum(min(0, (d - 1) * s) for d, s in zip(base.shape, bstrides))
    hi = sum(max(0, (d - 1) * s) for d, s in zip(base.shape, bstrides))
    vlo = offset + sum(min(0, (d - 1) * s) for d, s in zip(view.shape, vstrides))
    vhi = offset + sum(max(0, (d - 1) * s) for d, s in zip(view.shape, vstrides))
    if vlo < lo or vhi > hi:
        return None
    # Lay the base's logical indices out in a buffer with the base's memory layout (element
    # units), then read that buffer through the view's layout: memory position -> base index.
    buf = np.full(hi - lo + 1, -1, dtype=np.int64)
    laid = _as_strided(buf[-lo:], base.shape, [s * 8 for s in bstrides])
    laid[...] = np.arange(n, dtype=np.int64).reshape(base.shape)
    if np.count_nonzero(buf >= 0) != n:
        return None  # two base elements share memory: the base overlaps itself
    ids = _as_strided(buf[offset - lo :], view.shape, [s * 8 for s in vstrides]).copy()
    if ids.size and ids.min() < 0:
        return None  # the view touches memory between the base's elements
    return ids


def view_plan(t, op: str):
    """The index plan over ``t._base``'s shape that reads ``t``'s elements (see
    ``ember.ops._index_plan``); raises RuntimeError naming ``op`` when ``t`` cannot be mapped
    onto its base."""
    root = t._base
    view, base = t._data, root._data
    if _cache[0] is not None and _cache[0]() is view and _cache[1]() is base:
        return _cache[2]
    ids = index_map(view, base)
    if ids is None:
        raise RuntimeError(
            f"{op}: in-place modification of this view of a tensor in the autograd graph is not "
            f"supported: the view (shape {list(view.shape)}, dtype {view.dtype}) cannot be "
            f"mapped element by element onto its base (shape {list(base.shape)}, dtype "
            f"{base.dtype}; a dtype view or an expanded base). clone() the view first, or "
            f"modify the base"
        )
    if base.ndim == 0:
        # a 0-d root: base[None] is a 1-element view, indexed by ids (all zeros)
        parts = (ids,)
    else:
        parts = np.unravel_index(ids, base.shape)
    if type(base) is not np.ndarray:  # CuPy: the plan's index arrays live on the device
        from .._device import device_of, move_array

        dev = device_of(base)
        parts = tuple(move_array(p, dev) for p in parts)
    plan = ((None,), parts) if base.ndim == 0 else ((Ellipsis,), tuple(parts))
    try:
        _cache[0], _cache[1], _cache[2] = weakref.ref(view), weakref.ref(base), plan
    except TypeError:  # an array type without weak references: no caching
        _forget()
    return plan


def _forget():
    _cache[0] = _cache[1] = _cache[2] = None


class CopySlices(Function):
    """The root's new history after an in-place op on one of its views: the root's values with
    ``result`` written at ``plan`` (already in memory: forward returns the root's array)."""

    @classmethod
    def name(cls) -> str:
        return "CopySlices"  # PyTorch's name for this node

    @staticmethod
    def forward(ctx, base, result, plan, data):
        if ctx.needs_input_grad:
            ctx.plan = plan
            ctx.result_dtype = result._data.dtype
        return data

    @staticmethod
    def backward(ctx, grad):
        from ..ops._index_plan import Index, IndexPut

        need_base, need_result = ctx.needs_input_grad[:2]
        g_base = g_result = None
        if need_base:
            # the overwritten positions no longer depend on the old values
            g_base = IndexPut.apply(grad, 0, ctx.plan, False, "CopySlices")
        if need_result:
            g_result = Index.apply(grad, ctx.plan)
            if g_result._data.dtype != ctx.result_dtype:
                from ..ops.convert import to_dtype

                g_result = to_dtype(g_result, ctx.result_dtype)
        return g_base, g_result, None, None


class AsView(Function):
    """A view's history regenerated from its root: ``root[plan]``, returning the view's own
    array (no copy); the gradient is scattered back into the root's shape."""

    @staticmethod
    def forward(ctx, base, plan, data):
        ctx.shape = base._data.shape
        ctx.plan = plan
        return data

    @staticmethod
    def backward(ctx, grad):
        from ..ops._index_plan import IndexGrad

        return IndexGrad.apply(grad, ctx.shape, ctx.plan), None, None


def view_source(t, op: str = "in-place operation"):
    """A copy of view ``t``'s values, in the graph through its root's *current* history: the
    input of the out-of-place twin of an in-place op on ``t`` (recording only)."""
    from .._tensor import _make

    root = t._base
    if not root.requires_grad:
        # t's values are constants or t has its own history (it was made to require grad)
        if not t.requires_grad or t.grad_fn is None:
            return _make(t._data.copy())
        c = _make(t._data.copy())
        c.requires_grad = True
        c.grad_fn = t.grad_fn
        c._output_nr = t._output_nr
        return c
    from ..ops._index_plan import Index

    return Index.apply(root, view_plan(t, op))  # an advanced plan: a fresh copy


def rebase(t, result, op: str = "in-place operation") -> None:
    """Give view ``t``'s root and ``t`` their new histories once ``result`` (the in-place op's
    out-of-place value, requiring grad) has been written into ``t``'s memory."""
    root = t._base
    plan = view_plan(t, op)
    _forget()
    node = CopySlices.apply(root, result, plan, root._data)
    root.requires_grad = True
    root.grad_fn = node.grad_fn
    root._output_nr = 0
    regenerated = AsView.apply(root, plan, t._data)
    regenerated.grad_fn._view_version = t._version_counter[0]  # up to date (see regenerate)
    t.requires_grad = True
    t.grad_fn = regenerated.grad_fn
    t._output_nr = 0


def regenerate(view):
    """Give ``view`` a fresh ``grad_fn`` read from its root's current history: PyTorch's lazy
    regeneration of a view made before an in-place op on its root (or on an overlapping view).
    Returns the new node, or ``view.grad_fn`` unchanged when there is nothing to regenerate
    from (a root outside the graph, or a view that cannot be mapped onto it).

    ``Function.apply`` calls it when a recorded op takes a view whose root changed version
    since the view was made.
    """
    root = view._base
    if root is None or not root.requires_grad:
        return view.grad_fn
    try:
        plan = view_plan(view, "view regeneration")
    except RuntimeError:
        return view.grad_fn
    _forget()
    node = AsView.apply(root, plan, view._data).grad_fn
    node._view_version = view._version_counter[0]
    view.requires_grad = True
    view.grad_fn = node
    view._output_nr = 0
    return node
