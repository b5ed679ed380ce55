"""Views, scatters and tensor predicates PyTorch has beyond ``shape.py``: ``view_as_real``/
``view_as_complex``, ``as_strided``, ``Tensor.unfold`` (sliding windows), the ``*_scatter``
family (the out-of-place inverse of writing into a view), ``split_with_sizes`` and the
``unsafe_*`` splits, in-place shape methods (``transpose_``, ``squeeze_``...), ``resize_``,
``sum_to_size``, ``fill_diagonal_`` and the ``is_*`` predicates.

Views are made with ``_make_view`` (they share memory and the version counter with their
base). Each view op is a ``Function`` whose backward is written with Ember ops (its adjoint
scatter), so second derivatives work.
"""

from __future__ import annotations

from ._util import register_methods
from ._view_inplace import (
    _apply_,
    _conj_physical_,
    _fill_diagonal_,
    _map2_,
    _map_,
    _metadata_inplace,
    _new_empty_strided,
    _resize_,
    _resize_as_,
    _sum_to_size,
    conj_physical,
    get_device,
    is_conj,
    is_inference,
    is_neg,
    is_nonzero,
    is_same_size,
    is_signed,
    resolve_conj,
    resolve_neg,
)
from ._view_scatter import (
    as_strided_scatter,
    diagonal_scatter,
    narrow_copy,
    select_scatter,
    slice_scatter,
    split_with_sizes,
    unsafe_chunk,
    unsafe_split,
    unsafe_split_with_sizes,
)
from ._view_strides import (
    _as_strided_,
    _unfold,
    as_strided,
    view_as_complex,
    view_as_real,
)

__all__ = [
    "view_as_real",
    "view_as_complex",
    "as_strided",
    "as_strided_scatter",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "narrow_copy",
    "is_signed",
    "is_same_size",
    "is_nonzero",
    "is_conj",
    "is_neg",
    "resolve_conj",
    "resolve_neg",
    "conj_physical",
    "is_inference",
    "get_device",
]

register_methods(
    unfold=_unfold,
    as_strided=as_strided,
    as_strided_=_as_strided_,
    as_strided_scatter=as_strided_scatter,
    diagonal_scatter=diagonal_scatter,
    select_scatter=select_scatter,
    slice_scatter=slice_scatter,
    split_with_sizes=split_with_sizes,
    unsafe_chunk=unsafe_chunk,
    unsafe_split=unsafe_split,
    unsafe_split_with_sizes=unsafe_split_with_sizes,
    narrow_copy=narrow_copy,
    new_empty_strided=_new_empty_strided,
    sum_to_size=_sum_to_size,
    transpose_=_metadata_inplace("transpose_", lambda s, d0, d1: s.transpose(d0, d1)),
    swapaxes_=_metadata_inplace("swapaxes_", lambda s, d0, d1: s.transpose(d0, d1)),
    swapdims_=_metadata_inplace("swapdims_", lambda s, d0, d1: s.transpose(d0, d1)),
    t_=_metadata_inplace("t_", lambda s: s.t()),
    squeeze_=_metadata_inplace("squeeze_", lambda s, dim=None: s.squeeze(dim)),
    unsqueeze_=_metadata_inplace("unsqueeze_", lambda s, dim: s.unsqueeze(dim)),
    resize_=_resize_,
    resize_as_=_resize_as_,
    fill_diagonal_=_fill_diagonal_,
    is_signed=is_signed,
    is_same_size=is_same_size,
    is_nonzero=is_nonzero,
    is_conj=is_conj,
    is_neg=is_neg,
    resolve_conj=resolve_conj,
    resolve_neg=resolve_neg,
    conj_physical=conj_physical,
    conj_physical_=_conj_physical_,
    is_inference=is_inference,
    get_device=get_device,
    apply_=_apply_,
    map_=_map_,
    map2_=_map2_,
)
