"""``einsum`` and ``tensordot`` behind ``ember.ops.linalg``: one differentiable ``Einsum``
Function whose backward is itself an einsum (so higher-order gradients come for free).
"""

from __future__ import annotations

import functools
import string

import numpy as np

from .._tensor import Tensor
from ..amp.autocast_mode import cast_inputs as _autocast
from ..autograd.function import Function
from ._linalg_base import (
    _LOW_PRECISION,
    _conj,
    _const,
    _out,
    _require_tensor,
    _reshape,
    _same_dtype,
)
from ._util import xp_of

__all__ = [
    "einsum",
    "tensordot",
]


# ---------------------------------------------------------------------------------------------

_LETTERS = frozenset(string.ascii_letters)


class Einsum(Function):
    """einsum on an equation already made explicit: no ellipsis, an output term, no
    broadcasting. Its gradient for operand k is another einsum: the output's gradient
    contracted with the other operands, written with operand k's subscripts."""

    @staticmethod
    def forward(ctx, spec, *operands):
        terms, out_term, sizes = spec
        arrays = [o._data for o in operands]
        dtype = arrays[0].dtype
        low = dtype in _LOW_PRECISION
        if low:
            arrays = [a.astype(np.float32) for a in arrays]
        work = 1
        for n in sizes.values():
            work *= n
        # NumPy's path search costs ~25 us, and pays off only for chains or large products
        # (where it routes pairs through BLAS).
        optimize = len(arrays) > 2 or work >= 1 << 15
        equation = ",".join(terms) + "->" + out_term
        out = xp_of(arrays[0]).einsum(equation, *arrays, optimize=optimize)
        if low:
            out = out.astype(dtype)
        elif len(arrays) == 1 and out.base is not None:
            out = out.copy()  # a transpose or diagonal view: give the result its own memory
        if ctx.needs_input_grad:
            ctx.save_for_backward(*operands)
            ctx.spec = spec
        return out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        terms, out_term, sizes = ctx.spec
        used = set("".join(terms)) | set(out_term)
        fresh = iter(sorted(_LETTERS - used))
        grads = [None]
        for k, need in enumerate(ctx.needs_input_grad[1:]):
            if not need:
                grads.append(None)
                continue
            in_terms = [out_term] + [t for j, t in enumerate(terms) if j != k]
            inputs = [grad] + [_conj(o) for j, o in enumerate(operands) if j != k]
            xp = xp_of(grad._data)
            dtype = grad._data.dtype
            # A repeated subscript (a diagonal, a trace) cannot appear twice in an einsum
            # output: give each repeat a new letter tied to the first by an identity matrix.
            seen, target = set(), []
            for ch in terms[k]:
                if ch in seen:
                    new = next(fresh)
                    target.append(new)
                    in_terms.append(ch + new)
                    inputs.append(_const(xp.eye(sizes[ch], dtype=dtype)))
                else:
                    seen.add(ch)
                    target.append(ch)
            # A subscript summed only inside operand k: its gradient is constant along it.
            present = set("".join(in_terms))
            for ch in seen - present:
                in_terms.append(ch)
                inputs.append(_const(xp.ones(sizes[ch], dtype=dtype)))
            sub_sizes = dict(sizes)
            sub_sizes.update({t: sizes[ch] for t, ch in zip(target, terms[k])})
            grads.append(Einsum.apply((in_terms, "".join(target), sub_sizes), *inputs))
        return tuple(grads)


def _einsum(op, terms, out_term, operands, sizes=None):
    """Run an explicit einsum (no ellipsis, no broadcasting) on same-dtype operands."""
    first = operands[0]
    for o in operands[1:]:
        if o._data.dtype != first._data.dtype or type(o._data) is not type(first._data):
            _same_dtype(op, first, o)
    if first._data.dtype == np.bool_:
        _same_dtype(op, first, first)
    if sizes is None:
        sizes = {}
        for t, o in zip(terms, operands):
            sizes.update(zip(t, o._data.shape))
    return Einsum.apply((list(terms), out_term, sizes), *operands)


@functools.lru_cache(maxsize=512)
def _parse_einsum(equation: str, shapes):
    """The equation as explicit terms (ellipsis expanded), the output term and the size of
    each subscript; raises PyTorch's errors for malformed equations. Cached: a model calls the
    same few equations on the same shapes every step."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    raw_terms = lhs.split(",")
    if len(raw_terms) != len(shapes):
        few = len(raw_terms) > len(shapes)
        raise ValueError(
            f"einsum(): {'fewer' if few else 'more'} operands were provided than specified in "
            f"the equation ({len(shapes)} operands for {len(raw_terms)} terms)"
        )
    for pos, ch in enumerate(equation):
        if ch not in _LETTERS and ch not in ".,->":
            raise ValueError(
                f"einsum(): invalid subscript given at index {pos} in the equation string, "
                f"subscripts must be in [a-zA-Z]"
            )
    spare = iter(sorted(_LETTERS - set(equation)))
    n_ellipsis = 0
    for i, (term, shape) in enumerate(zip(raw_terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term:
            n_ellipsis = max(n_ellipsis, len(shape) - named)
        elif named != len(shape):
            raise ValueError(
                f"einsum(): the number of subscripts in the equation ({named}) does not match "
                f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis was "
                f"given"
            )
    ellipsis = "".join(next(spare) for _ in range(n_ellipsis))
    terms = []
    for term, shape in zip(raw_terms, shapes):
        if "..." in term:
            count = len(shape) - len(term.replace("...", ""))
            if count < 0:
                raise ValueError(
                    f"einsum(): the term {term!r} has more subscripts than the operand's "
                    f"{len(shape)} dimensions"
                )
            term = term.replace("...", ellipsis[n_ellipsis - count :])
        terms.append(term)
    if arrow:
        out = rhs.replace("...", ellipsis)
        for ch in out:
            if out.count(ch) > 1:
                raise ValueError(f"einsum(): output subscript {ch} appears more than once")
            if not any(ch in t for t in terms):
                raise ValueError(
                    f"einsum(): output subscript {ch} does not appear in the equation for any "
                    f"input operand"
                )
    else:
        counts = "".join(terms)
        out = ellipsis + "".join(
            sorted(ch for ch in set(counts) if counts.count(ch) == 1 and ch not in ellipsis)
        )
    sizes: dict[str, int] = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        local: dict[str, int] = {}
        for ch, n in zip(term, shape):
            if ch in local and local[ch] != n:
                raise RuntimeError(
                    f"einsum(): subscript {ch} is repeated for operand {i} but the sizes don't "
                    f"match, {local[ch]} != {n}"
                )
            local[ch] = n
            seen = sizes.get(ch)
            if seen is None or seen == 1:
                sizes[ch] = n
            elif n != 1 and n != seen:
                raise RuntimeError(
                    f"einsum(): subscript {ch} has size {n} for operand {i} which does not "
                    f"broadcast with previously seen size {seen}"
                )
    return tuple(terms), out, sizes


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over the subscripts the ``equation`` names (NumPy's/PyTorch's einsum).

    Operands may be passed as arguments or as one list. Subscripts are letters ``a-zA-Z``;
    ``...`` stands for broadcast leading dimensions; without ``->`` the output holds the
    subscripts appearing once, in alphabetical order. Dimensions of size 1 broadcast. All
    operands must share a dtype.

    Example:
        >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
        >>> ember.einsum("ij,jk->ik", a, b).shape     # matmul
        ember.Size([2, 4])
        >>> ember.einsum("ii", ember.eye(3))           # trace
        tensor(3.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    for i, o in enumerate(operands):
        _require_tensor("einsum", f"operands[{i}]", o)
    operands = _autocast("einsum", *operands)
    terms, out, sizes = _parse_einsum(equation, tuple(o._data.shape for o in operands))
    terms = list(terms)
    # Broadcasting: drop size-1 dimensions whose subscript is bigger elsewhere, so the
    # einsum (and its gradient einsums) see consistent sizes; the reshape's backward sums.
    operands = list(operands)
    for i, (term, o) in enumerate(zip(terms, operands)):
        keep = [sizes[ch] == n for ch, n in zip(term, o._data.shape)]
        if not all(keep):
            terms[i] = "".join(ch for ch, k in zip(term, keep) if k)
            operands[i] = _reshape(o, [n for n, k in zip(o._data.shape, keep) if k])
    return _einsum("einsum", terms, out, operands, sizes)


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract ``a``'s and ``b``'s dimensions pairwise and keep the rest, ``a``'s first.

    Args:
        dims: an int ``d`` (the last ``d`` dimensions of ``a`` with the first ``d`` of ``b``)
            or a pair of lists of dimensions ``([a dims], [b dims])``.

    Example:
        >>> ember.tensordot(ember.ones(2, 3, 4), ember.ones(3, 4, 5), dims=2).shape
        ember.Size([2, 5])
    """
    _require_tensor("tensordot", "a", a)
    _require_tensor("tensordot", "b", b)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(na - dims, na)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("tensordot: both dimension lists should have same length")
    dims_a = [d % max(na, 1) for d in dims_a]
    dims_b = [d % max(nb, 1) for d in dims_b]
    letters = iter(string.ascii_letters)
    term_a = [next(letters) for _ in range(na)]
    term_b = [next(letters) for _ in range(nb)]
    for da, db in zip(dims_a, dims_b):
        sa, sb = a._data.shape[da], b._data.shape[db]
        if sa != sb:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size {sa} in "
                f"dim {da} and second has size {sb} in dim {db}"
            )
        term_b[db] = term_a[da]
    free = [ch for i, ch in enumerate(term_a) if i not in dims_a]
    free += [ch for i, ch in enumerate(term_b) if i not in dims_b]
    result = _einsum("tensordot", ["".join(term_a), "".join(term_b)], "".join(free), [a, b])
    return _out(result, out)
