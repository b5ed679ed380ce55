"""The ``torch.*`` forms of ``nn.functional`` ops: ``ember.conv2d``, ``ember.layer_norm``...

PyTorch exposes its ATen operators at top level, and their signatures are not always
``torch.nn.functional``'s: argument order differs (``torch.batch_norm(input, weight, bias,
running_mean, running_var, training, momentum, eps, cudnn_enabled)``, ``torch.embedding(weight,
indices, ...)``), losses take ``reduction`` as an int (``0`` none, ``1`` mean, ``2`` sum:
``at::Reduction``), ``grid_sampler`` takes its modes as ints, and pools take ``stride=()`` for
"the kernel size". Each function here translates its arguments and calls the one
``ember.nn.functional`` implementation, so there is no second copy of any maths.

``ember.nn`` imports after the ops (see ``ember/__init__.py``), so each function imports
``ember.nn.functional`` when it is called.

Deliberate differences from PyTorch, each an error where PyTorch silently computes something
undefined: an out-of-range ``reduction`` int or ``grid_sampler`` mode raises ``ValueError``.
The ``cudnn_enabled``/``cudnn_enable`` flags are accepted and ignored (no cuDNN here).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "affine_grid_generator",
    "alpha_dropout",
    "alpha_dropout_",
    "avg_pool1d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy_with_logits",
    "celu_",
    "channel_shuffle",
    "constant_pad_nd",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "convolution",
    "cosine_embedding_loss",
    "ctc_loss",
    "dropout",
    "dropout_",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
    "feature_dropout",
    "feature_dropout_",
    "grid_sampler",
    "grid_sampler_2d",
    "grid_sampler_3d",
    "group_norm",
    "hardshrink",
    "hinge_embedding_loss",
    "instance_norm",
    "kl_div",
    "layer_norm",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool3d",
    "native_channel_shuffle",
    "norm_except_dim",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "rms_norm",
    "rrelu_",
    "selu_",
    "threshold_",
    "triplet_margin_loss",
]

# at::Reduction::Reduction: None = 0, Mean = 1, Sum = 2
_REDUCTIONS = ("none", "mean", "sum")
# at::native::GridSamplerInterpolation and GridSamplerPadding
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _F():
    from ..nn import functional

    return functional


def _enum(op: str, what: str, value, names: tuple[str, ...]) -> str:
    """The name behind an ATen int enum (``reduction=1`` -> ``'mean'``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        choices = ", ".join(f"{i}={n}" for i, n in enumerate(names))
        raise TypeError(
            f"{op}: {what} must be an int ({choices}), "
            f"got {value!r}; nn.functional.{op} takes the string form"
        )
    if not 0 <= value < len(names):
        raise ValueError(
            f"{op}: {what} must be one of "
            f"{', '.join(f'{i} ({n})' for i, n in enumerate(names))}, got {value}"
        )
    return names[value]


def _stride(stride):
    """ATen's pool ``stride=[]`` (empty) means "equal to the kernel size": F's ``None``."""
    if stride is None:
        return None
    if isinstance(stride, (tuple, list)) and len(stride) == 0:
        return None
    return stride


# ---------------------------------------------------------------- convolution


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """``torch.conv1d``: :func:`ember.nn.functional.conv1d` (same signature; ``padding`` may be
    ``'valid'``/``'same'``)."""
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """``torch.conv2d``: :func:`ember.nn.functional.conv2d`.

    Example:
        >>> ember.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 2, 2])
    """
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """``torch.conv3d``: :func:`ember.nn.functional.conv3d`."""
    return _F().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """``torch.conv_transpose1d``: :func:`ember.nn.functional.conv_transpose1d`."""
    return _F().conv_transpose1d(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """``torch.conv_transpose2d``: :func:`ember.nn.functional.conv_transpose2d`."""
    return _F().conv_transpose2d(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """``torch.conv_transpose3d``: :func:`ember.nn.functional.conv_transpose3d`."""
    return _F().conv_transpose3d(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def convolution(
    input, weight, bias, stride, padding, dilation, transposed, output_padding, groups
) -> Tensor:
    """``torch.convolution``: the generic N-d (transposed) convolution ATen dispatches to.

    The spatial rank is ``weight.dim() - 2``; a one-element ``stride``/``padding``/... list is
    repeated for every spatial dim, as ATen's ``expand_param_if_needed`` does.

    Args:
        input: ``(N, C_in, *spatial)``.
        weight: ``(C_out, C_in / groups, *k)``, or ``(C_in, C_out / groups, *k)`` if transposed.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation, output_padding: int lists (``output_padding`` is used only
            when ``transposed``).
        transposed: a transposed convolution.
        groups: blocked connections from input to output channels.
    """
    spatial = weight.dim() - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"convolution: weight must be 3-, 4- or 5-dimensional (1-3 spatial dims), "
            f"got shape {tuple(weight.shape)}"
        )
    if input.dim() != weight.dim():
        raise RuntimeError(
            f"convolution: Expected {weight.dim()}-dimensional input for "
            f"{weight.dim()}-dimensional weight {list(weight.shape)}, but got "
            f"{input.dim()}-dimensional input of size {list(input.shape)} instead"
        )

    def expand(name, value):
        value = [int(v) for v in ((value,) if isinstance(value, int) else value)]
        if len(value) == 1:
            return value * spatial
        if len(value) != spatial:
            raise ValueError(
                f"convolution: {name} should have {spatial} or 1 elements for a "
                f"{spatial}-d convolution, got {value}"
            )
        return value

    s, p, d = expand("stride", stride), expand("padding", padding), expand("dilation", dilation)
    F = _F()
    if transposed:
        op = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        return op(input, weight, bias, s, p, expand("output_padding", output_padding), groups, d)
    op = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
    return op(input, weight, bias, s, p, d, groups)


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """``torch.bilinear``: :func:`ember.nn.functional.bilinear` (same signature)."""
    return _F().bilinear(input1, input2, weight, bias)


# ---------------------------------------------------------------- pooling


def avg_pool1d(
    input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True
) -> Tensor:
    """``torch.avg_pool1d``: :func:`ember.nn.functional.avg_pool1d`; ``stride=()`` (the
    default) means the kernel size."""
    return _F().avg_pool1d(
        input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad
    )


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``torch.max_pool1d``: :func:`ember.nn.functional.max_pool1d` without indices."""
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(
    input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False
) -> tuple[Tensor, Tensor]:
    """``torch.max_pool1d_with_indices``: ``(values, indices)`` of a 1-d max pool (indices
    into the flattened last dim, int64)."""
    return _F().max_pool1d(
        input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True
    )


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``torch.max_pool2d``: :func:`ember.nn.functional.max_pool2d` without indices."""
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """``torch.max_pool3d``: :func:`ember.nn.functional.max_pool3d` without indices."""
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """``torch.adaptive_avg_pool1d``: :func:`ember.nn.functional.adaptive_avg_pool1d`."""
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size) -> tuple[Tensor, Tensor]:
    """``torch.adaptive_max_pool1d``: always ``(values, indices)``, as the ATen op returns."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


# ---------------------------------------------------------------- normalization


def batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled
) -> Tensor:
    """``torch.batch_norm`` (every argument required; note the order: affine parameters
    before running statistics, unlike ``F.batch_norm``). ``cudnn_enabled`` is ignored."""
    return _F().batch_norm(
        input, running_mean, running_var, weight, bias, bool(training), momentum, eps
    )


def instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
) -> Tensor:
    """``torch.instance_norm`` (every argument required; ``F.instance_norm``'s maths)."""
    return _F().instance_norm(
        input, running_mean, running_var, weight, bias, bool(use_input_stats), momentum, eps
    )


def layer_norm(
    input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True
) -> Tensor:
    """``torch.layer_norm``: :func:`ember.nn.functional.layer_norm` (``cudnn_enable`` ignored)."""
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True) -> Tensor:
    """``torch.group_norm``: :func:`ember.nn.functional.group_norm` (``cudnn_enabled``
    ignored)."""
    return _F().group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    """``torch.rms_norm``: :func:`ember.nn.functional.rms_norm` (``eps=None``: the dtype's
    machine epsilon)."""
    return _F().rms_norm(input, normalized_shape, weight, eps)


def norm_except_dim(v, pow=2, dim=0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dim except ``dim`` (weight normalisation's ``g``).

    Args:
        v: a tensor.
        pow: the norm's order.
        dim: the dim kept; ``-1`` means none is kept (the norm of the whole tensor, 0-d), as in
            ATen, where ``-1`` is special rather than the last dim.

    Returns:
        A tensor of ``v``'s rank with size 1 everywhere but ``dim`` (0-d for ``dim=-1``).

    Example:
        >>> ember.norm_except_dim(ember.ones(2, 4), 2, 0)
        tensor([[2.],
                [2.]])
    """
    from ..linalg import vector_norm

    if dim == -1:
        return vector_norm(v, pow)
    dim = dim + v.dim() if dim < 0 else dim
    if not 0 <= dim < v.dim():
        raise IndexError(
            f"norm_except_dim: dim {dim} is out of range for a tensor of shape {tuple(v.shape)}"
        )
    others = tuple(d for d in range(v.dim()) if d != dim)
    return vector_norm(v, pow, dim=others, keepdim=True)


# ---------------------------------------------------------------- embeddings


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor:
    """``torch.embedding(weight, indices, ...)``: rows of ``weight`` (note the order).

    ``padding_idx`` is ATen's: any negative value means "no padding row" (``F.embedding``
    resolves negative indices before calling this); a row ``>= 0`` gets no gradient.
    """
    pad = None if padding_idx is None or padding_idx < 0 else int(padding_idx)
    return _F().embedding(
        indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse
    )


def embedding_bag(
    weight,
    indices,
    offsets,
    scale_grad_by_freq=False,
    mode=0,
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``torch.embedding_bag``: sums/means/maxes of bags of ``weight`` rows, plus ATen's
    bookkeeping tensors.

    Args:
        weight: ``(num_embeddings, D)``.
        indices: 1-d int indices; ``offsets``: the start of each bag (1-d).
        mode: ``0`` sum, ``1`` mean, ``2`` max.
        per_sample_weights, include_last_offset, scale_grad_by_freq, sparse: as in
            :func:`ember.nn.functional.embedding_bag`.
        padding_idx: a row excluded from every bag (None: none).

    Returns:
        ``(output, offset2bag, bag_size, max_indices)``: ``output`` ``(B, D)`` as
        ``F.embedding_bag``; the int64 rest as PyTorch's CPU kernel returns them: ``offset2bag``
        the bag of each index, ``bag_size`` the non-padding count per bag, ``max_indices`` the
        row chosen per ``(bag, column)`` in max mode (``bag_size`` again in mean mode). In sum
        mode the CPU kernel skips them: ``offset2bag`` is empty (filled when ``padding_idx`` is
        set), ``bag_size`` and ``max_indices`` are ``len(offsets)`` zeros.
    """
    mode_name = _enum("embedding_bag", "mode", mode, ("sum", "mean", "max"))
    if indices.dim() != 1 or offsets.dim() != 1:
        raise ValueError(
            f"embedding_bag: expected 1-d indices and offsets, got shapes "
            f"{tuple(indices.shape)} and {tuple(offsets.shape)}; "
            f"for 2-d (fixed-length bags) input use nn.functional.embedding_bag"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    output = _F().embedding_bag(
        indices, weight, offsets, None, 2, scale_grad_by_freq, mode_name, sparse,
        per_sample_weights, include_last_offset, padding_idx,
    )  # fmt: skip
    idx = np.asarray(indices.detach().cpu().numpy(), dtype=np.int64)
    offs = np.asarray(offsets.detach().cpu().numpy(), dtype=np.int64)
    n, num_bags = idx.shape[0], output.shape[0]
    starts = offs[:num_bags]
    # bag of each index: the last bag starting at or before it (empty bags are skipped over)
    offset2bag = np.searchsorted(starts, np.arange(n), side="right") - 1
    keep = idx != padding_idx if padding_idx is not None else np.ones(n, bool)
    bag_size = np.bincount(offset2bag[keep], minlength=num_bags).astype(np.int64)

    def out(array):
        return _make(array).to(weight.device)

    if mode_name == "sum":
        zeros = np.zeros(offs.shape[0], np.int64)
        o2b = offset2bag if padding_idx is not None else np.zeros(0, np.int64)
        return output, out(o2b), out(zeros), out(zeros.copy())
    if mode_name == "mean":
        return output, out(offset2bag), out(bag_size), out(bag_size.copy())
    # max: per (bag, column) the first row (in bag order) reaching the bag's maximum, as the
    # CPU kernel's sequential ``>`` scan picks; 0 for empty bags
    rows = weight.detach().cpu().numpy()[idx]
    best = output.detach().cpu().numpy()[offset2bag]
    hit = (rows == best) & keep[:, None]
    first = np.full((num_bags, rows.shape[1]), n, np.int64)
    pos = np.where(hit, np.arange(n)[:, None], n)
    np.minimum.at(first, offset2bag, pos)
    max_indices = np.where(first < n, idx[np.minimum(first, n - 1)], 0) if n else first * 0
    return output, out(offset2bag), out(bag_size), out(max_indices.astype(np.int64))


# ---------------------------------------------------------------- losses (int reduction)


def _red(op: str, reduction) -> str:
    return _enum(op, "reduction", reduction, _REDUCTIONS)


def binary_cross_entropy_with_logits(
    input, target, weight=None, pos_weight=None, reduction=1
) -> Tensor:
    """``torch.binary_cross_entropy_with_logits``: ``F``'s loss with ``pos_weight`` before
    ``reduction`` and ``reduction`` as an int (0 none, 1 mean, 2 sum)."""
    r = _red("binary_cross_entropy_with_logits", reduction)
    return _F().binary_cross_entropy_with_logits(
        input, target, weight, reduction=r, pos_weight=pos_weight
    )


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor:
    """``torch.cosine_embedding_loss``: ``F``'s loss, ``reduction`` an int."""
    r = _red("cosine_embedding_loss", reduction)
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=r)


def hinge_embedding_loss(input, target, margin=1.0, reduction=1) -> Tensor:
    """``torch.hinge_embedding_loss``: ``F``'s loss, ``reduction`` an int."""
    r = _red("hinge_embedding_loss", reduction)
    return _F().hinge_embedding_loss(input, target, margin, reduction=r)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor:
    """``torch.margin_ranking_loss``: ``F``'s loss, ``reduction`` an int."""
    r = _red("margin_ranking_loss", reduction)
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=r)


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=1
) -> Tensor:
    """``torch.triplet_margin_loss``: ``F``'s loss, ``reduction`` an int."""
    r = _red("triplet_margin_loss", reduction)
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=r)


def poisson_nll_loss(input, target, log_input, full, eps, reduction) -> Tensor:
    """``torch.poisson_nll_loss`` (every argument required, ``reduction`` an int)."""
    r = _red("poisson_nll_loss", reduction)
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=r)


def kl_div(input, target, reduction=1, *, log_target=False) -> Tensor:
    """``torch.kl_div``: pointwise ``target * (log target - input)`` reduced by an int
    ``reduction``; ``1`` averages over every element, without ``F.kl_div``'s warning (ATen
    has no ``batchmean``: that is ``F``'s sum divided by the batch size)."""
    r = _red("kl_div", reduction)
    loss = _F().kl_div(input, target, reduction="none", log_target=log_target)
    return loss if r == "none" else (loss.mean() if r == "mean" else loss.sum())


def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False
) -> Tensor:
    """``torch.ctc_loss``: ``F.ctc_loss`` with ``reduction`` an int (``1``: each loss divided
    by its target length, then averaged, as ``F``'s ``'mean'``)."""
    r = _red("ctc_loss", reduction)
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, r, zero_infinity)


# ---------------------------------------------------------------- dropout (train required)


def _dropout(op, input, p, train, inplace, feature, alpha):
    from ..nn.functional._dropout import _check_p, _run

    _check_p(p)
    return _run(op, input, p, bool(train), inplace, feature=feature, alpha=alpha)


def dropout(input, p, train) -> Tensor:
    """``torch.dropout(input, p, train)``: ``F.dropout`` with ATen's required ``train``."""
    return _dropout("dropout", input, p, train, False, False, False)


def dropout_(input, p, train) -> Tensor:
    """In-place :func:`dropout`."""
    return _dropout("dropout", input, p, train, True, False, False)


def feature_dropout(input, p, train) -> Tensor:
    """``torch.feature_dropout``: zero whole ``(sample, channel)`` slices of an input with at
    least 2 dims (dim 0 batch, dim 1 channels), scaling the rest by ``1 / (1 - p)``; the op
    behind ``F.dropout1d/2d/3d``."""
    return _dropout("feature_dropout", input, p, train, False, True, False)


def feature_dropout_(input, p, train) -> Tensor:
    """In-place :func:`feature_dropout`."""
    return _dropout("feature_dropout", input, p, train, True, True, False)


def alpha_dropout(input, p, train) -> Tensor:
    """``torch.alpha_dropout(input, p, train)``: ``F.alpha_dropout``'s SELU-preserving
    dropout."""
    return _dropout("alpha_dropout", input, p, train, False, False, True)


def alpha_dropout_(input, p, train) -> Tensor:
    """In-place :func:`alpha_dropout`."""
    return _dropout("alpha_dropout", input, p, train, True, False, True)


def feature_alpha_dropout(input, p, train) -> Tensor:
    """``torch.feature_alpha_dropout``: alpha dropout of whole channels."""
    return _dropout("feature_alpha_dropout", input, p, train, False, True, True)


def feature_alpha_dropout_(input, p, train) -> Tensor:
    """In-place :func:`feature_alpha_dropout`."""
    return _dropout("feature_alpha_dropout", input, p, train, True, True, True)


# ---------------------------------------------------------------- activations (in place)


def selu_(input) -> Tensor:
    """``torch.selu_``: SELU written into ``input``."""
    return _F().selu_(input)


def celu_(input, alpha=1.0) -> Tensor:
    """``torch.celu_``: CELU written into ``input``."""
    return _F().celu_(input, alpha)


def rrelu_(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None) -> Tensor:
    """``torch.rrelu_``: randomized leaky ReLU written into ``input`` (``generator`` must be
    None: Ember's rrelu draws from the default generator)."""
    if generator is not None:
        raise NotImplementedError("rrelu_: a generator argument is not supported; pass None")
    return _F().rrelu_(input, lower, upper, training)


def threshold_(input, threshold, value) -> Tensor:
    """``torch.threshold_``: ``value`` where ``input <= threshold``, written into ``input``."""
    return _F().threshold_(input, threshold, value)


def hardshrink(input, lambd=0.5) -> Tensor:
    """``torch.hardshrink``: ``x`` where ``|x| > lambd``, else 0."""
    return _F().hardshrink(input, lambd)


# ---------------------------------------------------------------- vision


def channel_shuffle(input, groups) -> Tensor:
    """``torch.channel_shuffle``: :func:`ember.nn.functional.channel_shuffle`."""
    return _F().channel_shuffle(input, groups)


def native_channel_shuffle(input, groups) -> Tensor:
    """``torch.native_channel_shuffle``: the same as :func:`channel_shuffle`."""
    return _F().native_channel_shuffle(input, groups)


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """``torch.pixel_shuffle``: ``(*, C r^2, H, W) -> (*, C, H r, W r)``."""
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """``torch.pixel_unshuffle``: ``(*, C, H r, W r) -> (*, C r^2, H, W)``."""
    return _F().pixel_unshuffle(input, downscale_factor)


def constant_pad_nd(input, pad, value=0) -> Tensor:
    """``torch.constant_pad_nd``: ``F.pad(input, pad, 'constant', value)``; negative pads
    crop."""
    return _F().pad(input, list(pad), "constant", value)


def affine_grid_generator(theta, size, align_corners) -> Tensor:
    """``torch.affine_grid_generator``: ``F.affine_grid`` with ``align_corners`` required."""
    return _F().affine_grid(theta, list(size), bool(align_corners))


def _grid_sampler(op, input, grid, interpolation_mode, padding_mode, align_corners, ndim):
    mode = _enum(op, "interpolation_mode", interpolation_mode, _INTERPOLATIONS)
    pad = _enum(op, "padding_mode", padding_mode, _PADDINGS)
    if ndim is not None and (input.dim() != ndim or grid.dim() != ndim):
        raise RuntimeError(
            f"{op}(): expected {ndim}D input and grid with same number of dimensions, but got "
            f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    return _F().grid_sample(input, grid, mode, pad, bool(align_corners))


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    """``torch.grid_sampler``: ``F.grid_sample`` with int modes (interpolation 0 bilinear,
    1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    return _grid_sampler(
        "grid_sampler", input, grid, interpolation_mode, padding_mode, align_corners, None
    )


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    """``torch.grid_sampler_2d``: :func:`grid_sampler` for 4-d input and grid."""
    return _grid_sampler(
        "grid_sampler_2d", input, grid, interpolation_mode, padding_mode, align_corners, 4
    )


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:
    """``torch.grid_sampler_3d``: :func:`grid_sampler` for 5-d input and grid."""
    return _grid_sampler(
        "grid_sampler_3d", input, grid, interpolation_mode, padding_mode, align_corners, 5
    )
