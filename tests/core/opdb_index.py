"""Op table entries for ember.ops.index (see opinfo.py).

The references are written here with NumPy, most of them as explicit loops over index
positions (the definition of the op), so they share no code path with Ember's vectorised
implementation. Index arrays are int64 NumPy arrays and masks bool arrays: the harness turns
them into tensors and never casts them.
"""

import numpy as np
from opinfo import ErrorInput, OpInfo, Sample, noncontiguous, randn

import ember


def _distinct(rng, *shape):
    """Values without ties (sort, topk, amax... are not differentiable at ties)."""
    n = int(np.prod(shape)) if shape else 1
    return (rng.permutation(n) * 0.37 + 0.1 * rng.uniform()).reshape(shape) - n * 0.15


def _away_from_zero(rng, *shape):
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _ints(*values):
    return np.array(values, dtype=np.int64)


# ---- indexing: x[key] and x[key] = v ---------------------------------------------------------

# keys on which NumPy and PyTorch agree (no ints mixed with index arrays: there PyTorch
# applies the ints first; test_index.py covers that with literal expectations)
_KEYS = [
    (np.array([0, 0, 2]),),  # repeated indices: gradients accumulate
    (1, slice(1, 3), None),
    (np.array([[1], [0]]), np.array([0, 2, 2])),  # arrays broadcast together
    (Ellipsis, None, 1),
    (np.array([[True, False, True, True], [False, True, False, False],
               [True, True, False, True]]),),
    (slice(0, 3, 2), Ellipsis),
    (np.array([-1, 0]), slice(1, None)),
]


def _getitem_samples(rng):
    return [Sample((randn(rng, 3, 4), key), grad_args=(0,), name=f"key{i}")
            for i, key in enumerate(_KEYS)] + [
        Sample((noncontiguous(randn(rng, 3, 4)), _KEYS[2]), grad_args=(0,), name="non-contig"),
        Sample((randn(rng, 2, 3, 4), (slice(None), np.array([[1], [0]]), np.array([0, 2, 2]))),
               grad_args=(0,), name="adjacent arrays stay in place"),
        Sample((randn(rng, 2, 3, 4), (np.array([1, 0]), slice(None), np.array([2, 2]))),
               grad_args=(0,), name="separated arrays go first"),
    ]


def _getitem_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 5)), IndexError,
                   r"index 5 is out of bounds for dimension 0 with size 2"),
        ErrorInput(Sample((x, (0, 5))), IndexError,
                   r"index 5 is out of bounds for dimension 1 with size 3"),
        ErrorInput(Sample((x, (slice(None), np.array([0, 3])))), IndexError,
                   r"index 3 is out of bounds for dimension 1 with size 3"),
        ErrorInput(Sample((x, slice(None, None, -1))), ValueError,
                   r"step must be greater than zero"),
        ErrorInput(Sample((x, (0, 0, 0))), IndexError,
                   r"too many indices for tensor of dimension 2"),
        ErrorInput(Sample((x, np.array([0.5]))), IndexError,
                   r"tensors used as indices must be long, int, byte or bool tensors"),
        ErrorInput(Sample((x, np.array([True, False, True]))), IndexError,
                   r"The shape of the mask \[3\] at index 0 does not match the shape of the "
                   r"indexed tensor \[2, 3\] at index 0"),
        ErrorInput(Sample((x, 1.5)), IndexError, r"only integers, slices"),
    ]


def _setitem(x, v, key):
    y = x.clone() if isinstance(x, ember.Tensor) else x.copy()
    y[key] = v
    return y


def _setitem_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 4), (slice(None),)), name="broadcast row"),
        Sample((randn(rng, 3, 4), randn(rng, 2, 4), (np.array([2, 0]),)), name="rows"),
        Sample((randn(rng, 3, 4), randn(rng), (1, slice(1, 3))), name="0-d value"),
        Sample((randn(rng, 3, 4), randn(rng, 3), (slice(None), _ints(1, 3, 0),
                                                   )), name="columns"),
        Sample((randn(rng, 3, 4), 2.5, (np.array([True, False, True]),)), name="mask, number"),
    ]


# ---- gather / scatter ------------------------------------------------------------------------


def _gather_ref(x, dim, idx):
    out = np.empty(idx.shape, dtype=x.dtype)
    for pos in np.ndindex(idx.shape):
        src = list(pos)
        src[dim] = idx[pos]
        out[pos] = x[tuple(src)]
    return out


def _unique_rows_index(rng, n_target, shape, dim):
    """An index of ``shape`` whose entries along ``dim`` are distinct (deterministic scatter)."""
    idx = np.empty(shape, dtype=np.int64)
    moved = np.moveaxis(idx, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(n_target)[: moved.shape[-1]]
    return idx


def _gather_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 1, rng.integers(0, 4, size=(3, 5))), name="dim 1, repeats"),
        Sample((randn(rng, 3, 4), 0, rng.integers(0, 3, size=(2, 4))), name="dim 0"),
        Sample((randn(rng, 4, 5), -1, rng.integers(0, 5, size=(2, 3))), name="smaller index"),
        Sample((randn(rng, 2, 3, 4), 2, rng.integers(0, 4, size=(2, 3, 2))), name="3-d"),
        Sample((noncontiguous(randn(rng, 4, 3)), 0, rng.integers(0, 4, size=(4, 3))),
               name="non-contig"),
    ]


def _gather_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 0, _ints(0))), RuntimeError,
                   r"gather\(\): Index tensor must have the same number of dimensions as "
                   r"input tensor"),
        ErrorInput(Sample((x, 1, _ints([0, 5]))), RuntimeError,
                   r"gather: index 5 is out of bounds for dimension 1 with size 3"),
        ErrorInput(Sample((x, 1, _ints([-1]))), RuntimeError, r"index -1 is out of bounds"),
        ErrorInput(Sample((x, 0, np.zeros((2, 5), dtype=np.int64))), RuntimeError,
                   r"gather\(\): Size does not match at dimension 1 expected index \[2, 5\] to "
                   r"be no larger than self \[2, 3\] apart from dimension 0"),
        ErrorInput(Sample((x, 0, np.zeros((1, 1)))), RuntimeError,
                   r"gather\(\): Expected dtype int32/int64 for index"),
        ErrorInput(Sample((x, 2, _ints([0]))), IndexError, r"Dimension out of range"),
    ]


def _scatter_ref(x, dim, idx, src, reduce=None):
    out = x.copy()
    for pos in np.ndindex(idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        value = src[pos] if isinstance(src, np.ndarray) else src
        if reduce == "add":
            out[tuple(tgt)] += value
        elif reduce == "multiply":
            out[tuple(tgt)] *= value
        else:
            out[tuple(tgt)] = value
    return out


def _scatter_samples(rng):
    return [
        Sample((randn(rng, 4, 3), 0, _unique_rows_index(rng, 4, (2, 3), 0), randn(rng, 2, 3)),
               name="dim 0"),
        Sample((randn(rng, 3, 5), 1, _unique_rows_index(rng, 5, (2, 3), 1), randn(rng, 3, 4)),
               name="bigger src"),
        Sample((randn(rng, 2, 3, 4), -1, _unique_rows_index(rng, 4, (2, 3, 2), 2),
                randn(rng, 2, 3, 2)), name="3-d"),
    ]


def _scatter_value_samples(rng):
    return [Sample((randn(rng, 4, 3), 0, rng.integers(0, 4, size=(3, 3)), 1.5)),
            Sample((randn(rng, 3, 5), 1, rng.integers(0, 5, size=(3, 2)), -2))]


def _scatter_add_samples(rng):
    return [
        Sample((randn(rng, 4, 3), 0, rng.integers(0, 4, size=(5, 3)), randn(rng, 5, 3)),
               name="repeats"),
        Sample((randn(rng, 3, 5), 1, rng.integers(0, 5, size=(2, 6)), randn(rng, 3, 7)),
               name="bigger src"),
        Sample((randn(rng, 2, 3, 4), 2, rng.integers(0, 4, size=(2, 3, 5)),
                randn(rng, 2, 3, 5)), name="3-d"),
    ]


def _scatter_errors(rng):
    x = randn(rng, 2, 3)
    i = _ints([0, 1, 2])
    return [
        ErrorInput(Sample((x, 0, i, randn(rng, 1, 2))), RuntimeError,
                   r"Expected index \[1, 3\] to be no larger than self \[2, 3\] apart from "
                   r"dimension 0 and to be no larger size than src \[1, 2\]"),
        ErrorInput(Sample((x, 1, _ints([5]), randn(rng, 1, 1))), RuntimeError,
                   r"index 5 is out of bounds for dimension 1 with size 3"),
        ErrorInput(Sample((x, 0, i, randn(rng, 1, 3).astype(np.float32))), RuntimeError,
                   r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
        ErrorInput(Sample((x, 0, _ints(0, 1), randn(rng, 3))), RuntimeError,
                   r"Index tensor must have the same number of dimensions as self tensor"),
    ]


def _scatter_reduce_ref(reduce, include_self):
    def ref(x, dim, idx, src):
        groups = {}
        for pos in np.ndindex(idx.shape):
            tgt = list(pos)
            tgt[dim] = idx[pos]
            groups.setdefault(tuple(tgt), []).append(src[pos])
        out = x.copy()
        for tgt, values in groups.items():
            vals = ([x[tgt]] if include_self else []) + values
            if reduce == "sum":
                out[tgt] = sum(vals)
            elif reduce == "prod":
                out[tgt] = np.prod(vals)
            elif reduce == "mean":
                out[tgt] = (sum(vals) // len(vals) if x.dtype.kind in "iu"
                            else sum(vals) / len(vals))
            elif reduce == "amax":
                out[tgt] = max(vals)
            else:
                out[tgt] = min(vals)
        return out

    return ref


def _scatter_reduce_samples(rng):
    return [
        Sample((_distinct(rng, 4, 3), 0, rng.integers(0, 4, size=(5, 3)),
                _distinct(rng, 5, 3) + 0.05), name="repeats"),
        Sample((_distinct(rng, 3, 4), 1, rng.integers(0, 4, size=(3, 6)),
                _distinct(rng, 3, 6) - 0.07), name="dim 1"),
        Sample((_distinct(rng, 2, 3), 0, rng.integers(0, 2, size=(1, 2)),
                _distinct(rng, 2, 3) + 0.02), name="untouched positions"),
    ]


def _scatter_reduce_int_samples(rng):
    return [Sample((rng.integers(-9, 9, size=(4, 3)), 0, rng.integers(0, 4, size=(6, 3)),
                    rng.integers(-9, 9, size=(6, 3))))]


def _prod_with_zeros(rng):
    src = _away_from_zero(rng, 6, 2)
    src[[0, 3], [0, 1]] = 0.0
    x = _away_from_zero(rng, 3, 2)
    x[1, 1] = 0.0
    idx = np.array([[0, 1], [0, 1], [2, 2], [1, 1], [2, 0], [1, 0]])
    return [Sample((x, 0, idx, src), name="zeros")]


def _scatter_reduce_ops():
    ops = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            name = f"scatter_reduce_{reduce}" + ("" if include_self else "_exclude_self")

            def op(x, dim, idx, src, reduce=reduce, include_self=include_self):
                return ember.scatter_reduce(x, dim, idx, src, reduce, include_self=include_self)

            ops.append(OpInfo(name, op, _scatter_reduce_ref(reduce, include_self),
                              _scatter_reduce_samples, int_samples=_scatter_reduce_int_samples))
    for include_self in (True, False):
        # exact first derivatives with zero factors; second derivatives only without zeros
        ops.append(OpInfo(
            "scatter_reduce_prod_zeros" + ("" if include_self else "_exclude_self"),
            lambda x, d, i, s, inc=include_self: ember.scatter_reduce(x, d, i, s, "prod",
                                                                      include_self=inc),
            _scatter_reduce_ref("prod", include_self), _prod_with_zeros, gradgrad=False))
    return ops


# ---- index_select / index_add / index_copy / index_fill / index_put ------------------------


def _index_select_ref(x, dim, idx):
    return np.stack([np.take(x, int(i), axis=dim) for i in idx], axis=dim)


def _index_add_ref(alpha=1, copy=False):
    def ref(x, dim, idx, src):
        out = x.copy()
        for j, i in enumerate(idx):
            target = [slice(None)] * x.ndim
            source = [slice(None)] * x.ndim
            target[dim], source[dim] = int(i), j
            if copy:
                out[tuple(target)] = src[tuple(source)]
            else:
                out[tuple(target)] += alpha * src[tuple(source)]
        return out

    return ref


def _index_select_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 1, _ints(3, 0, 3)), name="repeats"),
        Sample((randn(rng, 3, 4), 0, _ints(2)), name="one"),
        Sample((randn(rng, 2, 3, 4), -1, _ints(1, 2, 0, 1)), name="3-d"),
        Sample((noncontiguous(randn(rng, 4, 3)), 0, _ints(0, 3)), name="non-contig"),
    ]


def _index_add_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 0, _ints(0, 2, 0), randn(rng, 3, 4)), name="repeats"),
        Sample((randn(rng, 3, 4), 1, _ints(3, 1), randn(rng, 3, 2)), name="dim 1"),
        Sample((randn(rng, 2, 3, 4), 2, _ints(1, 1, 1), randn(rng, 2, 3, 3)), name="3-d"),
    ]


def _index_copy_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 0, _ints(2, 0), randn(rng, 2, 4))),
        Sample((randn(rng, 3, 4), 1, _ints(3, 1, 0), randn(rng, 3, 3))),
    ]


def _index_fill_ref(x, dim, idx, value):
    out = x.copy()
    target = [slice(None)] * x.ndim
    target[dim] = idx
    out[tuple(target)] = value
    return out


def _index_fill_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 1, _ints(0, -1), 2.5), name="number"),
        Sample((randn(rng, 3, 4), 0, _ints(1), randn(rng)), name="0-d tensor value"),
        Sample((randn(rng, 2, 3, 4), 1, _ints(2, 2), -1.0), name="repeats"),
    ]


def _index_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 0, _ints(0, 1, 1), randn(rng, 2, 3))), RuntimeError,
                   r"index_add\(\): Number of indices \(3\) should be equal to "
                   r"source.size\(dim\) \(2\)"),
        ErrorInput(Sample((x, 0, _ints(0, 2), randn(rng, 2, 3))), RuntimeError,
                   r"index_add: index 2 is out of bounds for dimension 0 with size 2"),
        ErrorInput(Sample((x, 0, _ints(0, 1), randn(rng, 2, 4))), RuntimeError,
                   r"source tensor shape must match self tensor shape, excluding the specified "
                   r"dimension. Got self.shape = \[2, 3\] source.shape = \[2, 4\]"),
        ErrorInput(Sample((x, 0, _ints(0), randn(rng, 1, 3).astype(np.float32))), RuntimeError,
                   r"index_add\(\): self \(float64\) and source \(float32\) must have the same"),
        ErrorInput(Sample((x, 0, np.zeros((1, 1), dtype=np.int64), randn(rng, 1, 3))),
                   IndexError, r"index_add\(\): Index is supposed to be a vector"),
    ]


def _index_select_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 0, _ints(3))), IndexError, r"index_select\(\): index out of range"),
        ErrorInput(Sample((x, 0, _ints(-1))), IndexError, r"index out of range in self"),
        ErrorInput(Sample((x, 0, np.zeros((1, 1), dtype=np.int64))), IndexError,
                   r"index_select\(\): Index is supposed to be a vector"),
        ErrorInput(Sample((x, 0, np.zeros(1))), RuntimeError,
                   r"index_select\(\): Expected dtype int32/int64 for index"),
    ]


def _index_put_ref(accumulate):
    def ref(x, v, i0, i1):
        out = x.copy()
        if accumulate:
            np.add.at(out, (i0, i1), v)
        else:
            out[i0, i1] = v
        return out

    return ref


def _index_put_samples(rng):
    return [
        Sample((randn(rng, 3, 4), randn(rng, 3), _ints(0, 2, 1), _ints(3, 0, 0))),
        Sample((randn(rng, 3, 4), randn(rng, 2, 1), _ints([0], [2]), _ints(1, 3)),
               name="broadcast"),
        Sample((randn(rng, 3, 4), randn(rng), _ints(1, 2), _ints(-1, 0)), name="0-d value"),
    ]


def _index_put_acc_samples(rng):
    return _index_put_samples(rng) + [
        Sample((randn(rng, 3, 4), randn(rng, 4), _ints(0, 0, 1, 0), _ints(2, 2, 2, 2)),
               name="repeats")]


# ---- masks -----------------------------------------------------------------------------------


def _mask(rng, *shape):
    return rng.uniform(size=shape) < 0.5


def _masked_fill_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _mask(rng, 3, 4), 0.5), name="same shape"),
        Sample((randn(rng, 3, 4), _mask(rng, 4), -1.0), name="broadcast mask"),
        Sample((randn(rng, 4), _mask(rng, 3, 4), 2), name="broadcast input"),
        Sample((randn(rng, 3, 4), _mask(rng, 3, 1), randn(rng)), name="0-d tensor value"),
    ]


def _masked_fill_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, np.ones((2, 3)), 1.0)), RuntimeError,
                   r"masked_fill only supports boolean masks, but got mask with dtype float64"),
        ErrorInput(Sample((x, _mask(rng, 2, 3), randn(rng, 2))), RuntimeError,
                   r"masked_fill only supports a 0-dimensional value tensor, but got tensor "
                   r"with 1 dimension\(s\)"),
        ErrorInput(Sample((x, _mask(rng, 4), 1.0)), RuntimeError,
                   r"masked_fill: the mask of shape \[4\] cannot be broadcast"),
    ]


def _masked_select_ref(x, mask):
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return np.broadcast_to(x, shape)[np.broadcast_to(mask, shape)]


def _masked_select_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _mask(rng, 3, 4))),
        Sample((randn(rng, 3, 4), _mask(rng, 4)), name="broadcast mask"),
        Sample((randn(rng, 1, 4), _mask(rng, 3, 1)), name="broadcast both"),
        Sample((randn(rng), np.array(True)), name="0-d"),
    ]


def _masked_scatter_ref(x, mask, src):
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.broadcast_to(x, shape).copy()
    m = np.broadcast_to(mask, shape)
    out[m] = src.ravel()[: int(m.sum())]
    return out


def _masked_scatter_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _mask(rng, 3, 4), randn(rng, 12))),
        Sample((randn(rng, 3, 4), _mask(rng, 4), randn(rng, 4, 4)), name="broadcast mask"),
        Sample((randn(rng, 4), _mask(rng, 2, 4), randn(rng, 3, 3)), name="broadcast input"),
    ]


# ---- take / put / take_along_dim -------------------------------------------------------------


def _take_ref(x, idx):
    flat = x.ravel()
    return np.array([flat[i] for i in idx.ravel()], dtype=x.dtype).reshape(idx.shape)


def _take_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _ints([0, 11], [-1, 0])), name="negative, repeats"),
        Sample((randn(rng), _ints(0, 0, -1)), name="0-d input"),
        Sample((noncontiguous(randn(rng, 4, 3)), _ints(5, 7, 5)), name="non-contig"),
    ]


def _put_ref(accumulate):
    def ref(x, idx, src):
        out = x.copy().ravel()
        for i, v in zip(idx.ravel(), src.ravel()):
            if accumulate:
                out[i] += v
            else:
                out[i] = v
        return out.reshape(x.shape)

    return ref


def _put_samples(rng):
    return [
        Sample((randn(rng, 3, 4), _ints(0, 11, -2), randn(rng, 3))),
        Sample((randn(rng, 2, 3), _ints([1, 4], [3, 0]), randn(rng, 4)), name="2-d index"),
    ]


def _put_acc_samples(rng):
    return _put_samples(rng) + [Sample((randn(rng, 3, 4), _ints(5, 5, 0, 5), randn(rng, 2, 2)),
                                       name="repeats")]


def _take_along_dim_samples(rng):
    return [
        Sample((randn(rng, 3, 4), rng.integers(-4, 4, size=(3, 5)), 1), name="dim 1"),
        Sample((randn(rng, 3, 1, 4), rng.integers(0, 3, size=(2, 5, 1)), 0), name="broadcast"),
        Sample((randn(rng, 3, 4), rng.integers(0, 12, size=(2, 3)), None), name="flat"),
    ]


def _take_along_dim_ref(x, idx, dim):
    if dim is None:
        return x.ravel()[idx.ravel()]
    return np.take_along_axis(x, idx, axis=dim)


# ---- sorting and selection -------------------------------------------------------------------


def _sort_ref(descending):
    def ref(x, dim):
        order = np.argsort(-x if descending else x, axis=dim, kind="stable")
        return np.take_along_axis(x, order, axis=dim), order

    return ref


def _sort_samples(rng):
    return [
        Sample((_distinct(rng, 5), -1)),
        Sample((_distinct(rng, 3, 4), 0), name="dim 0"),
        Sample((_distinct(rng, 2, 3, 4), 1), name="3-d"),
        Sample((noncontiguous(_distinct(rng, 4, 3)), 1), name="non-contig"),
    ]


def _sort_int_samples(rng):
    return [Sample((rng.permutation(12).reshape(3, 4), 1))]


def _topk_ref(largest):
    def ref(x, k, dim):
        order = np.argsort(-x if largest else x, axis=dim, kind="stable")
        order = np.take(order, np.arange(k), axis=dim)
        return np.take_along_axis(x, order, axis=dim), order

    return ref


def _topk_samples(rng):
    return [
        Sample((_distinct(rng, 6), 3, -1)),
        Sample((_distinct(rng, 4, 5), 2, 0), name="dim 0"),
        Sample((_distinct(rng, 2, 3, 4), 4, 2), name="k = size"),
        Sample((_distinct(rng, 3, 4), 0, 1), name="k = 0"),
    ]


def _kthvalue_ref(x, k, dim, keepdim):
    order = np.argsort(x, axis=dim, kind="stable")
    idx = np.take(order, [k - 1], axis=dim)
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


def _kthvalue_samples(rng):
    return [
        Sample((_distinct(rng, 5), 2, -1, False)),
        Sample((_distinct(rng, 3, 4), 3, 0, True), name="keepdim"),
        Sample((_distinct(rng, 2, 3, 4), 1, 1, False), name="3-d"),
    ]


def _select_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 4, -1)), RuntimeError, r"topk\(\): selected index k out of range"),
        ErrorInput(Sample((x, -1, -1)), RuntimeError, r"selected index k out of range"),
        ErrorInput(Sample((x, 1, 2)), IndexError, r"topk: Dimension out of range"),
    ]


# ---- unique / searching / counting -----------------------------------------------------------


def _unique_ref(x, return_inverse=False, return_counts=False, dim=None):
    out = np.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim,
                    equal_nan=False)
    if isinstance(out, tuple):
        out = list(out)
        if return_inverse and dim is None:
            out[1] = out[1].reshape(x.shape)
        return tuple(out)
    return out


def _unique_consecutive_ref(x, return_inverse=False, return_counts=False, dim=None):
    items = list(np.moveaxis(x, dim, 0)) if dim is not None else list(x.ravel())
    values, inverse, counts = [], [], []
    for item in items:
        if values and np.array_equal(values[-1], item):
            counts[-1] += 1
        else:
            values.append(item)
            counts.append(1)
        inverse.append(len(values) - 1)
    out = np.array(values, dtype=x.dtype)
    if dim is not None:
        out = np.moveaxis(out, 0, dim)
    results = [out]
    if return_inverse:
        inv = np.array(inverse, dtype=np.int64)
        results.append(inv.reshape(x.shape) if dim is None else inv)
    if return_counts:
        results.append(np.array(counts, dtype=np.int64))
    return results[0] if len(results) == 1 else tuple(results)


def _unique_int_samples(rng):
    return [
        Sample((rng.integers(0, 5, size=(3, 4)),), name="plain"),
        Sample((rng.integers(0, 5, size=(3, 4)),),
               {"return_inverse": True, "return_counts": True}, name="inverse, counts"),
        Sample((rng.integers(0, 5, size=(6,)),), {"return_counts": True}, name="counts"),
        Sample((rng.integers(0, 2, size=(5, 3)),), {"dim": 0, "return_inverse": True,
                                                   "return_counts": True}, name="rows"),
        Sample((rng.integers(0, 2, size=(2, 5)),), {"dim": 1, "return_inverse": True},
               name="columns"),
        Sample((np.array(3),), {"return_inverse": True}, name="0-d"),
        Sample((np.zeros(0, dtype=np.int64),), {"return_inverse": True}, name="empty"),
    ]


def _unique_float_samples(rng):
    x = rng.integers(0, 3, size=(8,)).astype(np.float64)
    x[[1, 5]] = np.nan
    return [Sample((x,), {"return_counts": True}, name="NaNs are distinct")]


def _unique_consecutive_int_samples(rng):
    return [
        Sample((np.array([1, 1, 2, 2, 3, 1, 1, 2]),), {"return_inverse": True,
                                                       "return_counts": True}),
        Sample((rng.integers(0, 2, size=(3, 4)),), {"return_inverse": True}, name="2-d"),
        Sample((np.array([[1, 2], [1, 2], [0, 5], [1, 2]]),), {"dim": 0,
                                                               "return_counts": True},
               name="rows"),
    ]


def _searchsorted_ref(seq, vals, right=False):
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np.searchsorted(seq, vals, side=side).astype(np.int64)
    out = np.empty(vals.shape, dtype=np.int64)
    for pos in np.ndindex(seq.shape[:-1]):
        out[pos] = np.searchsorted(seq[pos], vals[pos], side=side)
    return out


def _searchsorted_samples(rng):
    seq = np.sort(rng.integers(0, 10, size=8)).astype(np.float64)
    rows = np.sort(rng.integers(0, 10, size=(2, 3, 6)), axis=-1).astype(np.float64)
    vals = rng.integers(-1, 11, size=(2, 3, 5)).astype(np.float64)
    return [
        Sample((seq, rng.integers(-1, 11, size=(3, 4)).astype(np.float64))),
        Sample((seq, vals), {"right": True}, name="right"),
        Sample((rows, vals), name="batched"),
        Sample((rows, vals), {"right": True}, name="batched right"),
    ]


def _searchsorted_errors(rng):
    return [
        ErrorInput(Sample((np.array([1.0, 2.0]), np.array([1.0])), {"right": True,
                                                                   "side": "left"}),
                   RuntimeError, r"side and right can't be set to opposites"),
        ErrorInput(Sample((np.ones((2, 3)), np.ones((3, 3)))), RuntimeError,
                   r"boundaries tensor should be 1 dimension or the first N-1 dimensions"),
        ErrorInput(Sample((np.array([1.0, 2.0]), np.array([1.0])), {"side": "middle"}),
                   RuntimeError, r"side can only be 'left' or 'right' but got middle"),
    ]


def _bucketize_samples(rng):
    bounds = np.sort(rng.choice(20, size=6, replace=False)).astype(np.float64)
    values = rng.integers(-1, 21, size=(3, 4)).astype(np.float64)
    return [Sample((values, bounds)), Sample((values, bounds), {"right": True}, name="right")]


def _bucketize_ref(values, bounds, right=False):
    # the bucket i with bounds[i-1] < x <= bounds[i] (right=False), by counting
    if right:
        return (values[..., None] >= bounds).sum(-1).astype(np.int64)
    return (values[..., None] > bounds).sum(-1).astype(np.int64)


def _bincount_ref(x, weights=None, minlength=0):
    if weights is None:
        return np.bincount(x, minlength=minlength).astype(np.int64)
    out = np.zeros(max(minlength, int(x.max()) + 1 if x.size else 0), dtype=weights.dtype)
    for i, w in zip(x, weights):
        out[i] += w
    return out


def _bincount_samples(rng):
    return [
        Sample((rng.integers(0, 6, size=10),)),
        Sample((rng.integers(0, 4, size=10),), {"minlength": 7}, name="minlength"),
        Sample((np.zeros(0, dtype=np.int64),), name="empty"),
    ]


def _bincount_weighted_samples(rng):
    return [Sample((rng.integers(0, 5, size=9), randn(rng, 9)))]


def _bincount_errors(rng):
    return [
        ErrorInput(Sample((_ints(-1, 2),)), RuntimeError,
                   r"bincount only supports 1-d non-negative integral inputs"),
        ErrorInput(Sample((np.ones((2, 2), dtype=np.int64),)), RuntimeError,
                   r"bincount only supports 1-d non-negative integral inputs"),
        ErrorInput(Sample((np.ones(2),)), NotImplementedError, r"bincount"),
        ErrorInput(Sample((_ints(0, 1), np.ones(3))), RuntimeError,
                   r"weights should be 1-d and have the same length as input"),
    ]


def _histc_ref(x, bins=100, min=0, max=0):
    lo, hi = (min, max) if min != max else (x.min(), x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


def _histc_samples(rng):
    return [
        Sample((randn(rng, 50),), {"bins": 7, "min": -1.3, "max": 1.1}),
        Sample((randn(rng, 4, 5),), {"bins": 5}, name="data range"),
        Sample((np.full(3, 2.0),), {"bins": 4}, name="constant"),
    ]


def _histc_errors(rng):
    return [
        ErrorInput(Sample((_ints(1, 2),)), NotImplementedError, r"histc"),
        ErrorInput(Sample((randn(rng, 3),), {"min": 3, "max": 1}), RuntimeError,
                   r"max must be larger than min"),
        ErrorInput(Sample((randn(rng, 3),), {"bins": 0}), RuntimeError, r"bins must be > 0"),
    ]


def _nonzero_samples(rng):
    x = randn(rng, 3, 4)
    x[rng.uniform(size=(3, 4)) < 0.5] = 0
    return [Sample((x,)), Sample((np.array(2.0),), name="0-d"), Sample((np.zeros(4),),
                                                                       name="none")]


def _nonzero_ref(x):
    if x.ndim == 0:
        return np.zeros((int(x != 0), 0), dtype=np.int64)
    return np.argwhere(x).astype(np.int64)


def _nonzero_tuple_ref(x):
    return tuple(a.astype(np.int64) for a in np.nonzero(np.atleast_1d(x)))


def _tri_ref(lower):
    def ref(row, col, offset):
        fn = np.tril_indices if lower else np.triu_indices
        return np.stack(fn(row, offset, col)).astype(np.int64)

    return ref


def _tri_samples(rng):
    return [Sample((3, 4, 1)), Sample((4, 3, -1)), Sample((0, 3, 0), name="empty"),
            Sample((5, 5, 0))]


OPS = [
    OpInfo("getitem", lambda x, key: x[key], lambda x, key: x[key], _getitem_samples,
           errors=_getitem_errors),
    OpInfo("setitem", _setitem, _setitem, _setitem_samples),
    OpInfo("gather", ember.gather, _gather_ref, _gather_samples, method="gather",
           int_samples=lambda rng: [Sample((rng.integers(0, 9, (3, 4)), 1,
                                            rng.integers(0, 4, (3, 2))))],
           errors=_gather_errors),
    OpInfo("scatter", ember.scatter, _scatter_ref, _scatter_samples, method="scatter",
           errors=_scatter_errors),
    OpInfo("scatter_value", ember.scatter, _scatter_ref, _scatter_value_samples),
    OpInfo("scatter_reduce_add", lambda x, d, i, s: ember.scatter(x, d, i, s, reduce="add"),
           lambda x, d, i, s: _scatter_ref(x, d, i, s, "add"), _scatter_add_samples),
    OpInfo("scatter_reduce_multiply",
           lambda x, d, i, s: ember.scatter(x, d, i, s, reduce="multiply"),
           lambda x, d, i, s: _scatter_ref(x, d, i, s, "multiply"),
           lambda rng: [Sample((_away_from_zero(rng, 4, 3), 0, rng.integers(0, 4, (5, 3)),
                                _away_from_zero(rng, 5, 3)))]),
    OpInfo("scatter_add", ember.scatter_add, lambda x, d, i, s: _scatter_ref(x, d, i, s, "add"),
           _scatter_add_samples, method="scatter_add"),
    *_scatter_reduce_ops(),
    OpInfo("index_select", ember.index_select, _index_select_ref, _index_select_samples,
           method="index_select", errors=_index_select_errors),
    OpInfo("index_add", ember.index_add, _index_add_ref(), _index_add_samples,
           method="index_add", errors=_index_errors),
    OpInfo("index_add_alpha", lambda x, d, i, s: ember.index_add(x, d, i, s, alpha=-2.0),
           _index_add_ref(alpha=-2.0), _index_add_samples),
    OpInfo("index_copy", ember.index_copy, _index_add_ref(copy=True), _index_copy_samples,
           method="index_copy"),
    OpInfo("index_fill", ember.index_fill, _index_fill_ref, _index_fill_samples,
           method="index_fill"),
    OpInfo("index_put", lambda x, v, i0, i1: ember.index_put(x, (i0, i1), v),
           _index_put_ref(False), _index_put_samples),
    OpInfo("index_put_accumulate",
           lambda x, v, i0, i1: ember.index_put(x, (i0, i1), v, accumulate=True),
           _index_put_ref(True), _index_put_acc_samples),
    OpInfo("masked_fill", ember.masked_fill, lambda x, m, v: np.where(m, v, x),
           _masked_fill_samples, method="masked_fill", errors=_masked_fill_errors),
    OpInfo("masked_select", ember.masked_select, _masked_select_ref, _masked_select_samples,
           method="masked_select"),
    OpInfo("masked_scatter", ember.masked_scatter, _masked_scatter_ref, _masked_scatter_samples,
           method="masked_scatter"),
    OpInfo("take", ember.take, _take_ref, _take_samples, method="take"),
    OpInfo("put", ember.put, _put_ref(False), _put_samples, method="put"),
    OpInfo("put_accumulate", lambda x, i, s: ember.put(x, i, s, accumulate=True),
           _put_ref(True), _put_acc_samples),
    OpInfo("take_along_dim", ember.take_along_dim, _take_along_dim_ref,
           _take_along_dim_samples, method="take_along_dim"),
    OpInfo("sort", ember.sort, _sort_ref(False), _sort_samples, method="sort",
           int_samples=_sort_int_samples),
    OpInfo("sort_descending", lambda x, d: ember.sort(x, d, descending=True), _sort_ref(True),
           _sort_samples, int_samples=_sort_int_samples),
    OpInfo("argsort", ember.argsort, lambda x, d: _sort_ref(False)(x, d)[1], _sort_samples,
           method="argsort", grad=False),
    OpInfo("msort", ember.msort, lambda x: np.sort(x, axis=0),
           lambda rng: [Sample((_distinct(rng, 4, 3),)), Sample((_distinct(rng, 5),))],
           method="msort"),
    OpInfo("topk", ember.topk, _topk_ref(True), _topk_samples, method="topk",
           errors=_select_errors),
    OpInfo("topk_smallest", lambda x, k, d: ember.topk(x, k, d, largest=False),
           _topk_ref(False), _topk_samples),
    OpInfo("kthvalue", ember.kthvalue, _kthvalue_ref, _kthvalue_samples, method="kthvalue"),
    OpInfo("nonzero", ember.nonzero, _nonzero_ref, _nonzero_samples, method="nonzero",
           grad=False),
    OpInfo("nonzero_as_tuple", lambda x: ember.nonzero(x, as_tuple=True), _nonzero_tuple_ref,
           _nonzero_samples, grad=False),
    OpInfo("argwhere", ember.argwhere, _nonzero_ref, _nonzero_samples, method="argwhere",
           grad=False),
    OpInfo("unique", ember.unique, _unique_ref, _unique_float_samples, method="unique",
           int_samples=_unique_int_samples, grad=False),
    OpInfo("unique_consecutive", ember.unique_consecutive, _unique_consecutive_ref,
           lambda rng: [], method="unique_consecutive",
           int_samples=_unique_consecutive_int_samples, grad=False),
    OpInfo("searchsorted", ember.searchsorted, _searchsorted_ref, _searchsorted_samples,
           grad=False, errors=_searchsorted_errors),
    OpInfo("bucketize", ember.bucketize, _bucketize_ref, _bucketize_samples, grad=False),
    OpInfo("bincount", ember.bincount, _bincount_ref, lambda rng: [], method="bincount",
           int_samples=_bincount_samples, grad=False, errors=_bincount_errors),
    OpInfo("bincount_weights", ember.bincount, _bincount_ref, _bincount_weighted_samples,
           grad=False),
    OpInfo("histc", ember.histc, _histc_ref, _histc_samples, method="histc", grad=False,
           errors=_histc_errors),
    OpInfo("tril_indices", ember.tril_indices, _tri_ref(True), _tri_samples, grad=False),
    OpInfo("triu_indices", ember.triu_indices, _tri_ref(False), _tri_samples, grad=False),
]
