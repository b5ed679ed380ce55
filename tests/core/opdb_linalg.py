"""Op table entries for ember.ops.linalg and ember.linalg (see opinfo.py).

References are NumPy (``np.matmul``, ``np.einsum``, ``np.linalg``) or formulas written here.
Decompositions whose outputs are only defined up to sign (SVD, eigh) are checked through
sign-invariant quantities (``U diag(w) Vh``, ``V diag(c) V^T``), which is also what makes their
finite-difference gradients well defined. Matrices that must be invertible are made well
conditioned (``randn + n I``); positive-definite ones are built as ``A A^T + n I`` inside the
op, so gradcheck perturbs an unconstrained input.
"""

import math

import numpy as np
from opinfo import ErrorInput, OpInfo, Sample, noncontiguous, randn

import ember
import ember.linalg as LA

# ---- sample inputs ----------------------------------------------------------------------------


def _well(rng, *shape):
    """Well-conditioned square matrices: randn + n I."""
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def _ints(rng, *shape):
    return rng.integers(-4, 5, size=shape)


def _pairs(*shape_pairs):
    def samples(rng):
        return [Sample((randn(rng, *a), randn(rng, *b)), name=f"{a}@{b}") for a, b in shape_pairs]

    return samples


_MATMUL_SHAPES = [
    ((3, 4), (4, 5)),  # matrix @ matrix
    ((4,), (4,)),  # dot
    ((4,), (4, 3)),  # vector @ matrix
    ((3, 4), (4,)),  # matrix @ vector
    ((2, 3, 4), (4, 5)),  # batch @ matrix (shared weight)
    ((3, 4), (2, 4, 5)),  # matrix @ batch
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batches
    ((4,), (2, 4, 3)),  # vector @ batch
    ((2, 3, 4), (4,)),  # batch @ vector
]


def _matmul_samples(rng):
    out = [Sample((randn(rng, *a), randn(rng, *b)), name=f"{a}@{b}") for a, b in _MATMUL_SHAPES]
    out.append(Sample((noncontiguous(randn(rng, 4, 3)), randn(rng, 3, 2)), name="non-contig"))
    return out


def _matmul_int(rng):
    return [Sample((_ints(rng, 3, 4), _ints(rng, 4, 2)), name="int64"),
            Sample((_ints(rng, 2, 3, 4).astype(np.int32), _ints(rng, 4).astype(np.int32)))]


def _matmul_errors(rng):
    return [
        ErrorInput(Sample((randn(rng, 2, 3), randn(rng, 4, 5))), RuntimeError,
                   r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"),
        ErrorInput(Sample((randn(rng, 2, 3, 4), randn(rng, 3, 4, 6))), RuntimeError,
                   r"matmul: the batch dimensions of shapes \(2, 3, 4\) and \(3, 4, 6\)"),
        ErrorInput(Sample((randn(rng), randn(rng, 3))), RuntimeError, r"at least 1-D"),
        ErrorInput(Sample((randn(rng, 2, 3), _ints(rng, 3, 2))), RuntimeError,
                   r"expected m1 and m2 to have the same dtype"),
    ]


def _addmm_samples(rng):
    return [
        Sample((randn(rng, 3, 5), randn(rng, 3, 4), randn(rng, 4, 5)), dict(beta=0.5, alpha=2)),
        Sample((randn(rng, 5), randn(rng, 3, 4), randn(rng, 4, 5)), name="broadcast input"),
        Sample((randn(rng, 1, 1), randn(rng, 3, 4), randn(rng, 4, 5)), dict(beta=0.0),
               grad_args=(1, 2), name="beta=0"),
    ]


def _einsum(equation):
    return lambda *ops: ember.einsum(equation, *ops)


def _einsum_ref(equation):
    return lambda *ops: np.einsum(equation, *ops)


_EINSUM_CASES = {
    "matmul": ("ij,jk->ik", [(3, 4), (4, 5)]),
    "implicit": ("ba,cb", [(3, 4), (2, 3)]),  # output "ac", alphabetical
    "trace": ("ii", [(4, 4)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "repeated_batch": ("bii->bi", [(2, 3, 3)]),
    "sum": ("ijk->j", [(2, 3, 4)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "bilinear": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    "ellipsis_middle": ("a...b,b...->a...", [(2, 3, 4), (4, 3)]),
    "broadcast_size1": ("ij,ij->ij", [(1, 3), (4, 1)]),
    "attention": ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    "transpose": ("ij->ji", [(3, 4)]),
    "scalar": (",i->i", [(), (3,)]),
}


def _einsum_entries():
    out = []
    for name, (eq, shapes) in _EINSUM_CASES.items():
        def samples(rng, shapes=shapes):
            return [Sample(tuple(randn(rng, *s) for s in shapes))]

        out.append(OpInfo(f"einsum_{name}", _einsum(eq), _einsum_ref(eq), samples))
    return out


def _einsum_errors(rng):
    return [
        ErrorInput(Sample((randn(rng, 2, 3), randn(rng, 4, 4))), RuntimeError,
                   r"subscript j has size 4 for operand 1 which does not broadcast"),
    ]


def _tensordot_samples(rng):
    return [
        Sample((randn(rng, 2, 3, 4), randn(rng, 3, 4, 5)), dict(dims=2), name="dims=2"),
        Sample((randn(rng, 2, 3, 4), randn(rng, 4, 3, 5)), dict(dims=([1, 2], [1, 0])),
               name="lists"),
        Sample((randn(rng, 2, 3), randn(rng, 4)), dict(dims=0), name="outer"),
    ]


def _cross_samples(rng):
    return [
        Sample((randn(rng, 4, 3), randn(rng, 4, 3))),
        Sample((randn(rng, 4, 3), randn(rng, 1, 3)), name="broadcast"),
        Sample((randn(rng, 3, 2), randn(rng, 3, 2)), dict(dim=0), name="dim=0"),
    ]


def _cross_errors(rng):
    return [ErrorInput(Sample((randn(rng, 3, 2), randn(rng, 3, 2))), RuntimeError,
                       r"linalg.cross: inputs dimension 1 must have length 3")]


def _square(*shapes, make=_well):
    def samples(rng):
        return [Sample((make(rng, *s),), name=str(s)) for s in shapes]

    return samples


def _lapack_errors(op_name, square=True):
    def errors(rng):
        out = [ErrorInput(Sample((_ints(rng, 3, 3),)), RuntimeError,
                          rf"{op_name}: Expected a floating point or complex tensor")]
        if square:
            out.append(ErrorInput(Sample((randn(rng, 3, 2),)), RuntimeError,
                                  r"A must be batches of square matrices, but they are 3 by 2"))
        return out

    return errors


def _spd(A):
    """A A^T + n I: symmetric positive-definite, from any square (batch of) matrices."""
    n = A.shape[-1]
    return ember.einsum("...ij,...kj->...ik", A, A) + ember.eye(n, dtype=A.dtype,
                                                                device=A.device) * n


def _spd_ref(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def _sym(A):
    return A + ember.einsum("...ij->...ji", A)


def _sym_ref(a):
    return a + np.swapaxes(a, -1, -2)


def _weights(k, like):
    return ember.arange(1, k + 1, dtype=like.dtype, device=like.device)


def _svd_invariants(A):
    U, S, Vh = LA.svd(A, full_matrices=False)
    w = _weights(S.shape[-1], S)
    return (ember.matmul(U * w, Vh), S)


def _svd_invariants_ref(a):
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    return (U * np.arange(1, S.shape[-1] + 1)) @ Vh, S


def _svd_full(A):
    # full_matrices=True: the extra columns of U (rows of Vh) are an arbitrary basis, so only
    # the first k enter (PyTorch's convention): U[:, :k] diag(w) Vh[:k, :], and S.
    U, S, Vh = LA.svd(A, full_matrices=True)
    m, n, k = U.shape[-1], Vh.shape[-1], S.shape[-1]
    first_u = ember.eye(m, k, dtype=A.dtype, device=A.device)
    first_v = ember.eye(k, n, dtype=A.dtype, device=A.device)
    Uk = ember.einsum("...ij,jk->...ik", U, first_u)
    Vhk = ember.einsum("ij,...jk->...ik", first_v, Vh)
    return S, ember.matmul(Uk * _weights(k, S), Vhk)


def _svd_full_ref(a):
    U, S, Vh = np.linalg.svd(a, full_matrices=True)
    k = S.shape[-1]
    return S, (U[..., :k] * np.arange(1, k + 1)) @ Vh[..., :k, :]


def _eigh_invariants(A):
    w, V = LA.eigh(_sym(A))
    c = _weights(w.shape[-1], w)
    return w, ember.einsum("...ij,...kj->...ik", V * c, V)


def _eigh_invariants_ref(a):
    w, V = np.linalg.eigh(_sym_ref(a))
    c = np.arange(1, w.shape[-1] + 1)
    return w, (V * c) @ np.swapaxes(V, -1, -2)


def _qr_samples(rng):
    return [Sample((randn(rng, 4, 3),), name="tall"), Sample((randn(rng, 3, 3),), name="square"),
            Sample((randn(rng, 3, 5),), name="wide"), Sample((randn(rng, 2, 4, 3),), name="batch")]


def _solve_samples(rng):
    return [
        Sample((_well(rng, 3, 3), randn(rng, 3)), name="vector"),
        Sample((_well(rng, 2, 3, 3), randn(rng, 2, 3)), name="batch of vectors"),
        Sample((_well(rng, 3, 3), randn(rng, 3, 2)), name="matrix"),
        Sample((_well(rng, 2, 3, 3), randn(rng, 4, 1, 3, 2)), name="broadcast batches"),
        Sample((_well(rng, 3, 3), randn(rng, 2, 3)), dict(left=False), name="left=False"),
    ]


def _solve_ref(a, b, left=True):
    if not left:
        return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return np.linalg.solve(a, b[..., None])[..., 0]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                           np.broadcast_to(b, batch + b.shape[-2:]))


def _vector_norm_samples(rng):
    out = []
    for ord in (2, 1, math.inf, -math.inf, 0.5, 3, -1):
        out.append(Sample((randn(rng, 3, 4),), dict(ord=ord, dim=1), name=f"ord={ord}"))
    out.append(Sample((randn(rng, 2, 3, 2),), dict(dim=(0, 2), keepdim=True), name="dims"))
    out.append(Sample((randn(rng, 5),), name="all"))
    return out


def _vector_norm_ref(x, ord=2, dim=None, keepdim=False):
    a = np.abs(x)
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    if ord == math.inf:
        return a.max(axis=axis, keepdims=keepdim)
    if ord == -math.inf:
        return a.min(axis=axis, keepdims=keepdim)
    return (a**ord).sum(axis=axis, keepdims=keepdim) ** (1 / ord)


def _matrix_norm_samples(rng):
    return [Sample((randn(rng, 2, 3, 4),), dict(ord=o), name=f"ord={o}")
            for o in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)] + [
        Sample((randn(rng, 3, 2, 4),), dict(ord="fro", dim=(0, 2), keepdim=True), name="dims")]


def _matrix_norm_ref(a, ord="fro", dim=(-2, -1), keepdim=False):
    return np.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim)


def _norm_samples(rng):
    return [
        Sample((randn(rng, 3, 4),), name="all elements"),
        Sample((randn(rng, 3, 4),), dict(ord=1, dim=0), name="vector dim"),
        Sample((randn(rng, 3, 4),), dict(ord="nuc"), name="matrix"),
        Sample((randn(rng, 4),), dict(ord=3), name="1-D ord"),
    ]


def _norm_ref(a, ord=None, dim=None, keepdim=False):
    if dim is None and ord is None:
        return np.linalg.norm(a.ravel())
    return np.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim)


def _lstsq_samples(rng):
    return [Sample((randn(rng, 5, 3), randn(rng, 5, 2)), name="tall"),
            Sample((randn(rng, 5, 3), randn(rng, 5)), name="vector")]


def _lstsq_ref(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


def _multi_dot_samples(rng):
    return [
        Sample((randn(rng, 3), randn(rng, 3, 4), randn(rng, 4, 2), randn(rng, 2)), name="vecs"),
        Sample((randn(rng, 5, 2), randn(rng, 2, 6), randn(rng, 6, 3)), name="matrices"),
    ]


def _multi_dot_errors(rng):
    return [ErrorInput(Sample((randn(rng, 3, 4), randn(rng, 5, 4))), RuntimeError,
                       r"tensors 0 and 1 with shapes \(3, 4\) and \(5, 4\) cannot be multiplied")]


def _vecdot_samples(rng):
    return [Sample((randn(rng, 3, 4), randn(rng, 4))),
            Sample((randn(rng, 3, 4), randn(rng, 3, 1)), dict(dim=0), name="dim=0 broadcast"),
            Sample((randn(rng, 3, 4), randn(rng, 4)), dict(dim=0), name="fewer dims")]


def _vecdot_ref(x, y, dim=-1):
    return (x * y).sum(axis=dim)


def _slogdet_ref(a):
    sign, logabs = np.linalg.slogdet(a)
    return sign, logabs


def _logdet_samples(rng):
    a = _well(rng, 3, 3)
    return [Sample((a,), name="positive det"), Sample((a[[1, 0, 2]],), name="negative det")]


def _logdet_ref(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.where(sign < 0, np.nan, logabs)


_BATCH_SQUARE = _square((3, 3), (2, 4, 4), (1, 1))

OPS = [
    # ---- products ----
    OpInfo("matmul", ember.matmul, np.matmul, _matmul_samples, method="matmul",
           int_samples=_matmul_int, errors=_matmul_errors),
    OpInfo("matmul_operator", lambda a, b: a @ b, np.matmul,
           _pairs(((3, 4), (4, 2)), ((4,), (4,)))),
    OpInfo("mm", ember.mm, np.matmul, _pairs(((3, 4), (4, 5))), method="mm",
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 3), randn(rng, 3, 3))), RuntimeError,
                                          r"mm: input must be a matrix")]),
    OpInfo("bmm", ember.bmm, np.matmul, _pairs(((2, 3, 4), (2, 4, 5))), method="bmm",
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 3, 4), randn(rng, 4, 5))),
                                          RuntimeError, r"bmm: input must be a batch")]),
    OpInfo("mv", ember.mv, np.matmul, _pairs(((3, 4), (4,))), method="mv"),
    OpInfo("dot", ember.dot, np.dot, _pairs(((5,), (5,))), method="dot", int_samples=lambda rng: [
        Sample((_ints(rng, 4), _ints(rng, 4)))]),
    OpInfo("vdot", ember.vdot, np.vdot, _pairs(((5,), (5,))), method="vdot"),
    OpInfo("inner", ember.inner, np.inner, _pairs(((2, 3, 4), (5, 4)), ((4,), (4,)), ((), (3,))),
           method="inner"),
    OpInfo("outer", ember.outer, np.outer, _pairs(((3,), (4,))), method="outer"),
    OpInfo("ger", ember.ger, np.outer, _pairs(((2,), (3,)))),
    OpInfo("kron", ember.kron, np.kron, _pairs(((2, 3), (4, 2)), ((2, 3), (4,)), ((2,), (1, 3))),
           method="kron"),
    OpInfo("tensordot", ember.tensordot, lambda a, b, dims: np.tensordot(a, b, dims),
           _tensordot_samples),
    OpInfo("trace", ember.trace, np.trace, _square((3, 3), (2, 4), make=randn), method="trace",
           int_samples=lambda rng: [Sample((_ints(rng, 3, 3).astype(np.int32),))]),
    OpInfo("addmm", ember.addmm, lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b),
           _addmm_samples, method="addmm"),
    OpInfo("addmv", ember.addmv, lambda i, a, v, beta=1, alpha=1: beta * i + alpha * (a @ v),
           lambda rng: [Sample((randn(rng, 3), randn(rng, 3, 4), randn(rng, 4)),
                               dict(beta=2, alpha=0.5))], method="addmv"),
    OpInfo("addr", ember.addr,
           lambda i, a, b, beta=1, alpha=1: beta * i + alpha * np.outer(a, b),
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 3), randn(rng, 4)),
                               dict(alpha=3))], method="addr"),
    OpInfo("baddbmm", ember.baddbmm, lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b),
           lambda rng: [Sample((randn(rng, 2, 1, 5), randn(rng, 2, 3, 4), randn(rng, 2, 4, 5)),
                               dict(beta=0.5))], method="baddbmm"),
    OpInfo("addbmm", ember.addbmm,
           lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b).sum(0),
           lambda rng: [Sample((randn(rng, 3, 5), randn(rng, 2, 3, 4), randn(rng, 2, 4, 5)),
                               dict(alpha=2))], method="addbmm"),
    OpInfo("cross", ember.cross, lambda a, b, dim=None: np.cross(a, b, axis=0 if dim is None
                                                                  else dim),
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 3, 4))),
                        Sample((randn(rng, 2, 3), randn(rng, 2, 3)), dict(dim=1))],
           method="cross"),
    OpInfo("linalg.cross", LA.cross, lambda a, b, dim=-1: np.cross(a, b, axis=dim),
           _cross_samples, errors=_cross_errors),
    OpInfo("chain_matmul", ember.chain_matmul, lambda *m: np.linalg.multi_dot(m),
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 3, 4), randn(rng, 4, 2)))]),
    OpInfo("linalg.multi_dot", lambda *m: LA.multi_dot(m), lambda *m: np.linalg.multi_dot(m),
           _multi_dot_samples, errors=_multi_dot_errors),
    OpInfo("linalg.vecdot", LA.vecdot, _vecdot_ref, _vecdot_samples),
    *_einsum_entries(),
    OpInfo("einsum_list_operands", lambda a, b: ember.einsum("ij,jk", [a, b]),
           lambda a, b: a @ b, _pairs(((2, 3), (3, 4))), errors=_einsum_errors),
    # ---- ember.linalg ----
    OpInfo("linalg.inv", LA.inv, np.linalg.inv, _BATCH_SQUARE, errors=_lapack_errors("linalg.inv"),
           atol=1e-4),
    OpInfo("inverse", ember.inverse, np.linalg.inv, _square((3, 3)), method="inverse", atol=1e-4),
    OpInfo("linalg.det", LA.det, np.linalg.det, _BATCH_SQUARE, errors=_lapack_errors("linalg.det"),
           atol=1e-3),
    OpInfo("det", ember.det, np.linalg.det, _square((3, 3)), method="det", atol=1e-3),
    OpInfo("linalg.slogdet", lambda a: tuple(LA.slogdet(a)), _slogdet_ref, _BATCH_SQUARE),
    OpInfo("logdet", ember.logdet, _logdet_ref, _logdet_samples, method="logdet", grad=False),
    OpInfo("logdet_spd", lambda a: ember.logdet(_spd(a)), lambda a: _logdet_ref(_spd_ref(a)),
           _square((3, 3), (2, 2, 2), make=randn), atol=1e-4),
    OpInfo("linalg.solve", LA.solve, _solve_ref, _solve_samples, atol=1e-4,
           errors=lambda rng: [ErrorInput(Sample((_well(rng, 3, 3), randn(rng, 4))), RuntimeError,
                                          r"Incompatible shapes of A and B")]),
    OpInfo("linalg.cholesky", lambda a, upper=False: LA.cholesky(_spd(a), upper=upper),
           lambda a, upper=False: (np.swapaxes(np.linalg.cholesky(_spd_ref(a)), -1, -2) if upper
                                   else np.linalg.cholesky(_spd_ref(a))),
           lambda rng: [Sample((randn(rng, 3, 3),)),
                        Sample((randn(rng, 2, 4, 4),), dict(upper=True), name="batch upper")],
           atol=1e-4),
    OpInfo("linalg.qr", lambda a: tuple(LA.qr(a)), lambda a: tuple(np.linalg.qr(a)), _qr_samples,
           atol=1e-4),
    OpInfo("linalg.svd", _svd_invariants, _svd_invariants_ref, _qr_samples, atol=1e-4),
    OpInfo("linalg.svd_full_matrices", _svd_full, _svd_full_ref,
           lambda rng: [Sample((randn(rng, 4, 2),)), Sample((randn(rng, 2, 3),))], atol=1e-4),
    OpInfo("linalg.svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
           _qr_samples, atol=1e-4),
    OpInfo("linalg.eigh", _eigh_invariants, _eigh_invariants_ref,
           _square((3, 3), (2, 4, 4), make=randn), atol=1e-4),
    OpInfo("linalg.eigvalsh", lambda a: LA.eigvalsh(_sym(a)),
           lambda a: np.linalg.eigvalsh(_sym_ref(a)), _square((3, 3), (2, 4, 4), make=randn),
           atol=1e-4),
    OpInfo("linalg.matrix_power", LA.matrix_power,
           lambda a, n: np.linalg.matrix_power(a, n),
           lambda rng: [Sample((randn(rng, 3, 3), 3)), Sample((_well(rng, 2, 3, 3), -2)),
                        Sample((randn(rng, 3, 3), 1)), Sample((randn(rng, 2, 2), 0))],
           atol=1e-4),
    OpInfo("linalg.pinv", LA.pinv, np.linalg.pinv,
           lambda rng: [Sample((randn(rng, 4, 3),)), Sample((randn(rng, 2, 3, 5),))], atol=1e-4),
    OpInfo("linalg.pinv_hermitian", lambda a: LA.pinv(_sym(a), hermitian=True),
           lambda a: np.linalg.pinv(_sym_ref(a), hermitian=True),
           _square((3, 3), make=randn), atol=1e-4),
    OpInfo("pinverse", ember.pinverse, np.linalg.pinv,
           lambda rng: [Sample((randn(rng, 4, 3),))], method="pinverse", atol=1e-4),
    OpInfo("linalg.lstsq", lambda a, b: LA.lstsq(a, b).solution, _lstsq_ref, _lstsq_samples,
           atol=1e-4),
    OpInfo("linalg.vector_norm", LA.vector_norm, _vector_norm_ref, _vector_norm_samples,
           errors=lambda rng: [ErrorInput(Sample((_ints(rng, 3),)), RuntimeError,
                                          r"Expected a floating point or complex tensor")]),
    OpInfo("linalg.matrix_norm", LA.matrix_norm, _matrix_norm_ref, _matrix_norm_samples,
           atol=1e-4,
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 3, 3),), dict(ord=3)), RuntimeError,
                                          r"linalg.matrix_norm: Order 3 not supported")]),
    OpInfo("linalg.norm", LA.norm, _norm_ref, _norm_samples, atol=1e-4),
]
