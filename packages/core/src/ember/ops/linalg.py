"""Products of tensors: ``matmul``/``@`` and its fixed-rank forms (``mm``, ``bmm``, ``mv``,
``dot``), ``einsum``, ``tensordot``, ``inner``/``outer``/``kron``, the fused ``addmm`` family,
``cross``, ``trace`` and matrix chains. The decompositions (``inv``, ``svd``...) live in
``ember.linalg``; the top-level aliases PyTorch keeps for them (``ember.det``, ``ember.svd``...)
are at the bottom of this module.

Every product is differentiable twice over: ``Matmul``'s backward is two matmuls and
``Einsum``'s backward is an einsum, so ``create_graph=True`` needs nothing more. Like PyTorch,
the matrix products do not promote dtypes: mixing float32 and float64 is an error naming both.
"""

from __future__ import annotations

import functools
import string

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..amp.autocast_mode import cast_inputs as _autocast
from ..autograd.function import Function
from ._util import inplace, register_methods, unbroadcast, xp_of

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "ger",
    "einsum",
    "tensordot",
    "kron",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "cross",
    "trace",
    "chain_matmul",
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "pinverse",
    "matrix_power",
    "cholesky",
    "qr",
    "svd",
]

_BF16 = dt.bfloat16.np_dtype
# NumPy has no BLAS kernels for half precision (and ml_dtypes' bfloat16 matmul returns float32,
# its einsum raises): compute these in float32 and round the result once, as PyTorch's CPU
# kernels accumulate half-precision products in float32 too.
_LOW_PRECISION = (np.dtype(np.float16), np.dtype(_BF16))


# ---------------------------------------------------------------------------------------------
# Private differentiable reshapes: the backward passes below need them, and keeping them here
# keeps this module independent of ops/shape.py.
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(int(i) for i in np.argsort(axes))
        return x._data.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return Permute.apply(grad, ctx.inverse), None


class Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return x._data.conj()

    @staticmethod
    def backward(ctx, grad):
        return Conj.apply(grad)


def _reshape(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    return x if x._data.shape == shape else Reshape.apply(x, shape)


def _mT(x: Tensor) -> Tensor:
    """The last two dimensions swapped (``x.mT``)."""
    axes = list(range(x._data.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return Permute.apply(x, tuple(axes))


def _conj(x: Tensor) -> Tensor:
    return Conj.apply(x) if x._data.dtype.kind == "c" else x


def _mH(x: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions (``x.mH``)."""
    return _conj(_mT(x))


def _const(array) -> Tensor:
    return _make(array)


# ---------------------------------------------------------------------------------------------
# Checks shared by the products
# ---------------------------------------------------------------------------------------------


def _require_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _same_dtype(op, a: Tensor, b: Tensor) -> None:
    x, y = a._data, b._data
    if type(x) is not type(y):
        raise RuntimeError(
            f"{op}: expected both tensors on the same device, but found {a.device} and {b.device}"
        )
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
            f"{b.dtype}; convert one operand, e.g. b.to(a.dtype)"
        )
    if x.dtype == np.bool_:
        raise NotImplementedError(
            f"{op}: not implemented for bool tensors; convert them with .int() or .float()"
        )


def _shapes(*arrays) -> str:
    return " and ".join(str(tuple(a.shape)) for a in arrays)


def _matmul_arrays(x, y):
    xp = xp_of(x)
    if x.dtype in _LOW_PRECISION:
        return xp.matmul(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype)
    return xp.matmul(x, y)


# ---------------------------------------------------------------------------------------------
# matmul and its fixed-rank forms
# ---------------------------------------------------------------------------------------------


class Matmul(Function):
    """PyTorch's (and NumPy's) matmul: 1-D operands are promoted to a row (left) or a column
    (right) and the promoted dimension removed again; leading dimensions broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = a._data, b._data
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError(
                f"matmul: both arguments need to be at least 1-D, but they are {x.ndim}-D and "
                f"{y.ndim}-D; use * to multiply by a scalar"
            )
        _same_dtype("matmul", a, b)
        try:
            out = _matmul_arrays(x, y)
        except ValueError:
            k_x, k_y = x.shape[-1], y.shape[-2] if y.ndim > 1 else y.shape[0]
            if k_x != k_y:
                raise RuntimeError(
                    f"matmul: shapes {_shapes(x, y)} cannot be multiplied ({k_x} != {k_y})"
                ) from None
            raise RuntimeError(
                f"matmul: the batch dimensions of shapes {_shapes(x, y)} cannot be broadcast"
            ) from None
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (grad * _conj(b) if need_a else None), (grad * _conj(a) if need_b else None)
        # Redo forward's promotion of 1-D operands, so both gradients are matrix products.
        a2 = _reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
        b2 = _reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
        g_shape = grad.shape
        if a.ndim == 1:
            g_shape = g_shape[:-1] + (1,) + g_shape[-1:]
        if b.ndim == 1:
            g_shape = g_shape + (1,)
        g2 = _reshape(grad, g_shape)
        ga = gb = None
        if need_a:
            ga = _reshape(unbroadcast(matmul(g2, _mH(b2)), a2.shape), a.shape)
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # A weight shared across a batch (x @ W): fold the batch into the rows, one
                # GEMM instead of a batch of products summed afterwards.
                k, p = a2.shape[-1], g2.shape[-1]
                gb = matmul(_mH(_reshape(a2, (-1, k))), _reshape(g2, (-1, p)))
            else:
                gb = unbroadcast(matmul(_mH(a2), g2), b2.shape)
            gb = _reshape(gb, b.shape)
        return ga, gb


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with PyTorch's broadcasting rules (the ``@`` operator).

    1-D x 1-D is a dot product; a 1-D left operand acts as a row vector and a 1-D right operand
    as a column vector (the added dimension is removed from the result); leading (batch)
    dimensions broadcast. Both operands must have the same dtype. float16 and bfloat16 are
    multiplied in float32 and rounded once.

    Shape:
        ``(*, n, k) @ (*, k, m) -> (*, n, m)``.

    Example:
        >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3)).shape
        ember.Size([5, 2])
    """
    _require_tensor("matmul", "input", input)
    _require_tensor("matmul", "other", other)
    input, other = _autocast("matmul", input, other)
    return _out(Matmul.apply(input, other), out)


def _check_ndim(op, name, x, ndim, what):
    _require_tensor(op, name, x)
    if x._data.ndim != ndim:
        raise RuntimeError(f"{op}: {name} must be {what}, but got a {x._data.ndim}-D tensor")


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Product of two matrices, ``(n, k) @ (k, m) -> (n, m)``; no broadcasting."""
    _check_ndim("mm", "input", input, 2, "a matrix (2-D)")
    _check_ndim("mm", "mat2", mat2, 2, "a matrix (2-D)")
    input, mat2 = _autocast("mm", input, mat2)
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mm: shapes {_shapes(input, mat2)} cannot be multiplied")
    return _out(Matmul.apply(input, mat2), out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product, ``(b, n, k) @ (b, k, m) -> (b, n, m)``; no broadcasting (use
    :func:`matmul` for that)."""
    _check_ndim("bmm", "input", input, 3, "a batch of matrices (3-D)")
    _check_ndim("bmm", "mat2", mat2, 3, "a batch of matrices (3-D)")
    input, mat2 = _autocast("bmm", input, mat2)
    (b1, _, k1), (b2, k2, _) = input._data.shape, mat2._data.shape
    if b1 != b2:
        raise RuntimeError(
            f"bmm: batch sizes differ in shapes {_shapes(input, mat2)}; use matmul to broadcast"
        )
    if k1 != k2:
        raise RuntimeError(f"bmm: shapes {_shapes(input, mat2)} cannot be multiplied")
    return _out(Matmul.apply(input, mat2), out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product, ``(n, m) @ (m,) -> (n,)``."""
    _check_ndim("mv", "input", input, 2, "a matrix (2-D)")
    _check_ndim("mv", "vec", vec, 1, "a vector (1-D)")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"mv: shapes {_shapes(input, vec)} cannot be multiplied")
    return _out(Matmul.apply(input, vec), out)


def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of the same length and dtype (no conjugation)."""
    _check_ndim("dot", "input", input, 1, "1-D")
    _check_ndim("dot", "tensor", tensor, 1, "1-D")
    if input._data.shape != tensor._data.shape:
        raise RuntimeError(
            f"dot: expected vectors of the same length, but got shapes {_shapes(input, tensor)}"
        )
    return _out(Matmul.apply(input, tensor), out)


def vdot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """``sum(conj(input) * other)`` for two 1-D tensors (``dot`` for real tensors)."""
    _check_ndim("vdot", "input", input, 1, "1-D")
    _check_ndim("vdot", "other", other, 1, "1-D")
    if input._data.shape != other._data.shape:
        raise RuntimeError(
            f"vdot: expected vectors of the same length, but got shapes {_shapes(input, other)}"
        )
    return _out(Matmul.apply(_conj(input), other), out)


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """Outer product of two vectors, ``(n,) x (m,) -> (n, m)``; dtypes promote as ``*``."""
    _check_ndim("outer", "input", input, 1, "1-D")
    _check_ndim("outer", "vec2", vec2, 1, "1-D")
    result = _reshape(input, (-1, 1)) * _reshape(vec2, (1, -1))
    return _out(result, out)


ger = outer


def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Sum of products over the last dimension of both tensors (a product when one is 0-d).

    Shape:
        ``(*a, k)`` and ``(*b, k)`` give ``(*a, *b)``.
    """
    _require_tensor("inner", "input", input)
    _require_tensor("inner", "other", other)
    x, y = input._data, other._data
    if x.ndim == 0 or y.ndim == 0:
        return _out(input * other, out)
    if x.shape[-1] != y.shape[-1]:
        raise RuntimeError(
            f"inner: the last dimension must match on both input tensors, but got shapes "
            f"{_shapes(x, y)}"
        )
    letters = iter(string.ascii_letters)
    left = "".join(next(letters) for _ in range(x.ndim - 1))
    right = "".join(next(letters) for _ in range(y.ndim - 1))
    k = next(letters)
    return _out(_einsum("inner", [left + k, right + k], left + right, [input, other]), out)


# ---------------------------------------------------------------------------------------------
# einsum
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


def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Kronecker product: blocks ``input[i, j] * other`` (any number of dimensions).

    Shape:
        ``(a0, a1, ...) x (b0, b1, ...) -> (a0 * b0, a1 * b1, ...)``, the shorter shape padded
        with leading ones.
    """
    _require_tensor("kron", "input", input)
    _require_tensor("kron", "other", other)
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    # Interleave the dimensions, (a0, 1, a1, 1...) * (1, b0, 1, b1...), and merge each pair.
    left = _reshape(input, [d for s in sa for d in (s, 1)])
    right = _reshape(other, [d for s in sb for d in (1, s)])
    result = _reshape(left * right, [x * y for x, y in zip(sa, sb)])
    return _out(result, out)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (the leading square block's, for a rectangular
    one); integer inputs give int64, as ``sum`` does."""
    _check_ndim("trace", "input", input, 2, "a matrix (2-D)")
    m, n = input._data.shape
    if m == n:
        result = _einsum("trace", ["ii"], "", [input])
    else:
        diagonal = _const(xp_of(input._data).eye(m, n, dtype=input._data.dtype))
        result = _einsum("trace", ["ij", "ij"], "", [input, diagonal])
    if result._data.dtype.kind in "iu":
        from .convert import to_dtype

        result = to_dtype(result, np.int64)
    return result


# ---------------------------------------------------------------------------------------------
# beta * input + alpha * product
# ---------------------------------------------------------------------------------------------


def _add_scaled(op, input, product, beta, alpha):
    """``beta * input + alpha * product``, where ``input`` broadcasts to the product's shape;
    with ``beta == 0`` the input is ignored (NaNs in it do not propagate), as in PyTorch."""
    _require_tensor(op, "input", input)
    target = product._data.shape
    shape = input._data.shape
    if len(shape) > len(target) or any(s not in (1, t) for s, t in zip(shape[::-1], target[::-1])):
        raise RuntimeError(
            f"{op}: input of shape {tuple(shape)} cannot be broadcast to the product's shape "
            f"{tuple(target)}"
        )
    if input._data.dtype != product._data.dtype:
        raise RuntimeError(
            f"{op}: input and the matrices must have the same dtype, but got {input.dtype} and "
            f"{product.dtype}"
        )
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices; ``input`` broadcasts."""
    input, mat1, mat2 = _autocast("addmm", input, mat1, mat2)
    return _out(_add_scaled("addmm", input, mm(mat1, mat2), beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _out(_add_scaled("addmv", input, mv(mat, vec), beta, alpha), out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _out(_add_scaled("addr", input, outer(vec1, vec2), beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    input, batch1, batch2 = _autocast("baddbmm", input, batch1, batch2)
    return _out(_add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha), out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (the batch reduced)."""
    _check_ndim("addbmm", "batch1", batch1, 3, "a batch of matrices (3-D)")
    _check_ndim("addbmm", "batch2", batch2, 3, "a batch of matrices (3-D)")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"addbmm: shapes {_shapes(batch1, batch2)} cannot be multiplied")
    input, batch1, batch2 = _autocast("addbmm", input, batch1, batch2)
    product = _einsum("addbmm", ["bij", "bjk"], "ik", [batch1, batch2])
    return _out(_add_scaled("addbmm", input, product, beta, alpha), out)


# ---------------------------------------------------------------------------------------------
# cross product, matrix chains
# ---------------------------------------------------------------------------------------------


class Cross(Function):
    @staticmethod
    def forward(ctx, a, b, dim):
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
            ctx.dim = dim
        return xp_of(a._data).cross(a._data, b._data, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        # <g, a x b> = <a, b x g> = <b, g x a>
        a, b = ctx.saved_tensors
        need_a, need_b, _ = ctx.needs_input_grad
        ga = unbroadcast(Cross.apply(b, grad, ctx.dim), a.shape) if need_a else None
        gb = unbroadcast(Cross.apply(grad, a, ctx.dim), b.shape) if need_b else None
        return ga, gb, None


def _cross(op, input, other, dim):
    _require_tensor(op, "input", input)
    _require_tensor(op, "other", other)
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError(
            f"{op}: inputs must have the same number of dimensions, but got shapes {_shapes(x, y)}"
        )
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for {x.ndim}-D inputs")
    dim %= n
    if x.shape[dim] != 3 or y.shape[dim] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3. Got {x.shape[dim]} and "
            f"{y.shape[dim]}"
        )
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {_shapes(x, y)} cannot be broadcast") from None
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"{op}: expected both inputs to have the same dtype, but got {input.dtype} and "
            f"{other.dtype}"
        )
    return Cross.apply(input, other, dim)


def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (broadcasting the other dimensions).

    With ``dim=None`` the first dimension of size 3 is used: PyTorch's legacy default, which it
    deprecates in favour of ``ember.linalg.cross`` (``dim=-1``).
    """
    if dim is None:
        _require_tensor("cross", "input", input)
        sizes = input._data.shape
        if 3 not in sizes:
            raise RuntimeError("cross: no dimension of size 3 in input; pass dim explicitly")
        dim = sizes.index(3)
    return _out(_cross("cross", input, other, dim), out)


def _chain_order(shapes):
    """The cheapest parenthesisation of a matrix chain (the classic dynamic programme)."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order.

    The first tensor may be 1-D (a row vector) and the last 1-D (a column vector); the others
    must be 2-D.

    Example:
        >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 4), ember.ones(4)])
        tensor(12.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        _require_tensor("multi_dot", f"tensors[{i}]", t)
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t._data.ndim not in allowed:
            where = "first" if i == 0 else "last" if i == len(tensors) - 1 else f"tensor {i}"
            raise RuntimeError(
                f"multi_dot(): the {where} tensor must be "
                f"{'1D or 2D' if len(allowed) == 2 else '2D'} but got {t._data.ndim}D"
            )
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first_vec:
        tensors[0] = _reshape(tensors[0], (1, -1))
    if last_vec:
        tensors[-1] = _reshape(tensors[-1], (-1, 1))
    for i in range(len(tensors) - 1):
        if tensors[i].shape[1] != tensors[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes "
                f"{_shapes(tensors[i], tensors[i + 1])} cannot be multiplied"
            )
        _same_dtype("multi_dot", tensors[i], tensors[i + 1])
    split = _chain_order([t.shape for t in tensors])

    def product(i, j):
        if i == j:
            return tensors[i]
        k = split[i][j]
        return Matmul.apply(product(i, k), product(k + 1, j))

    result = product(0, len(tensors) - 1)
    shape = result.shape
    if first_vec or last_vec:
        shape = tuple(s for s, drop in zip(shape, (first_vec, last_vec)) if not drop)
        result = _reshape(result, shape)
    return _out(result, out)


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of two or more matrices in the cheapest order (use ``linalg.multi_dot``)."""
    if len(matrices) == 1:
        _check_ndim("chain_matmul", "matrices[0]", matrices[0], 2, "a matrix (2-D)")
        return matrices[0]
    for i, m in enumerate(matrices):
        _check_ndim("chain_matmul", f"matrices[{i}]", m, 2, "a matrix (2-D)")
    return multi_dot(matrices, out=out)


def _out(result, out):
    if out is None:
        return result
    from .convert import copy_

    if out.shape != result.shape:
        out._data = xp_of(result._data).empty(result._data.shape, dtype=out._data.dtype)
    return copy_(out, result)


# ---------------------------------------------------------------------------------------------
# PyTorch's top-level names for decompositions; defined in ember.linalg (imported on call, as
# ember.linalg builds on this module).
# ---------------------------------------------------------------------------------------------


def det(input: Tensor) -> Tensor:
    """Determinant of square matrices (``ember.linalg.det``)."""
    from .. import linalg

    return linalg.det(input)


def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix."""
    from .. import linalg

    sign, logabsdet = linalg.slogdet(input)
    if input._data.dtype.kind == "c":
        raise NotImplementedError("logdet: complex inputs are not supported; use slogdet")
    xp = xp_of(sign._data)
    return logabsdet + _const(xp.where(sign._data < 0, np.nan, 0).astype(sign._data.dtype))


def slogdet(input: Tensor):
    """``(sign, logabsdet)`` of square matrices (``ember.linalg.slogdet``)."""
    from .. import linalg

    return linalg.slogdet(input)


def inverse(input: Tensor, *, out=None) -> Tensor:
    """Inverse of square matrices (``ember.linalg.inv``)."""
    from .. import linalg

    return _out(linalg.inv(input), out)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse, singular values below ``rcond * max`` treated as zero."""
    from .. import linalg

    return linalg.pinv(input, rtol=rcond)


def matrix_power(input: Tensor, n: int) -> Tensor:
    """``input`` multiplied by itself ``n`` times (``ember.linalg.matrix_power``)."""
    from .. import linalg

    return linalg.matrix_power(input, n)


def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Cholesky factor (``ember.linalg.cholesky``)."""
    from .. import linalg

    return _out(linalg.cholesky(input, upper=upper), out)


def qr(input: Tensor, some: bool = True, *, out=None):
    """``(Q, R)``: ``some=True`` gives the reduced factorisation, ``False`` the complete one."""
    from .. import linalg

    return linalg.qr(input, mode="reduced" if some else "complete")


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``(U, S, V)`` with ``input = U diag(S) V^H``; note V, not ``linalg.svd``'s Vh.

    With ``compute_uv=False``, U and V are zero-filled, as in PyTorch.
    """
    from .. import linalg

    if not compute_uv:
        s = linalg.svdvals(input)
        xp = xp_of(input._data)
        m, n = input.shape[-2:]
        k = min(m, n)
        batch = input.shape[:-2]
        shape_u = batch + ((m, k) if some else (m, m))
        shape_v = batch + ((n, k) if some else (n, n))
        u = _const(xp.zeros(shape_u, dtype=input._data.dtype))
        v = _const(xp.zeros(shape_v, dtype=input._data.dtype))
        return linalg._SVDResult(u, s, v)
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return linalg._SVDResult(u, s, _mH(vh))


# ---------------------------------------------------------------------------------------------
# Tensor methods and operators
# ---------------------------------------------------------------------------------------------


def __matmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    self, other = _autocast("matmul", self, other)
    return Matmul.apply(self, other)


def __rmatmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    other, self = _autocast("matmul", other, self)
    return Matmul.apply(other, self)


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


register_methods(
    matmul=matmul,
    mm=mm,
    bmm=bmm,
    mv=mv,
    dot=dot,
    vdot=vdot,
    inner=inner,
    outer=outer,
    ger=outer,
    kron=kron,
    addmm=addmm,
    addmv=addmv,
    addr=addr,
    baddbmm=baddbmm,
    addbmm=addbmm,
    addmm_=_inplace_of(addmm, "addmm_"),
    addmv_=_inplace_of(addmv, "addmv_"),
    addr_=_inplace_of(addr, "addr_"),
    baddbmm_=_inplace_of(baddbmm, "baddbmm_"),
    addbmm_=_inplace_of(addbmm, "addbmm_"),
    cross=cross,
    trace=trace,
    det=det,
    logdet=logdet,
    slogdet=slogdet,
    inverse=inverse,
    pinverse=pinverse,
    matrix_power=matrix_power,
    cholesky=cholesky,
    qr=qr,
    svd=svd,
    __matmul__=__matmul__,
    __rmatmul__=__rmatmul__,
)
