"""The ``torch.*`` forms of nn.functional ops (``ember.ops.nn_aliases``).

Each alias is checked against the ``F`` call it translates to on the same inputs, against
literal values recorded from PyTorch 2.13 (CPU) where its semantics differ (int reductions and
modes, ``norm_except_dim``, ``embedding_bag``'s bookkeeping tensors...), and its signature
against PyTorch's parameter names (recorded from ``torch.<name>``'s argument errors).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.ops import nn_aliases as A

# parameter names of torch.<name> in torch 2.13 (from its "missing N required positional
# arguments" / overload listings); "*" marks the start of keyword-only parameters
TORCH_PARAMS = {
    "adaptive_avg_pool1d": "input output_size",
    "adaptive_max_pool1d": "input output_size",
    "affine_grid_generator": "theta size align_corners",
    "avg_pool1d": "input kernel_size stride padding ceil_mode count_include_pad",
    "batch_norm": "input weight bias running_mean running_var training momentum eps cudnn_enabled",
    "bilinear": "input1 input2 weight bias",
    "binary_cross_entropy_with_logits": "input target weight pos_weight reduction",
    "channel_shuffle": "input groups",
    "native_channel_shuffle": "input groups",
    "constant_pad_nd": "input pad value",
    "conv1d": "input weight bias stride padding dilation groups",
    "conv2d": "input weight bias stride padding dilation groups",
    "conv3d": "input weight bias stride padding dilation groups",
    "conv_transpose1d": "input weight bias stride padding output_padding groups dilation",
    "conv_transpose2d": "input weight bias stride padding output_padding groups dilation",
    "conv_transpose3d": "input weight bias stride padding output_padding groups dilation",
    "convolution": "input weight bias stride padding dilation transposed output_padding groups",
    "cosine_embedding_loss": "input1 input2 target margin reduction",
    "ctc_loss": "log_probs targets input_lengths target_lengths blank reduction zero_infinity",
    "embedding": "weight indices padding_idx scale_grad_by_freq sparse",
    "embedding_bag": "weight indices offsets scale_grad_by_freq mode sparse "
    "per_sample_weights include_last_offset padding_idx",
    "dropout": "input p train",
    "dropout_": "input p train",
    "alpha_dropout": "input p train",
    "alpha_dropout_": "input p train",
    "feature_dropout": "input p train",
    "feature_dropout_": "input p train",
    "feature_alpha_dropout": "input p train",
    "feature_alpha_dropout_": "input p train",
    "grid_sampler": "input grid interpolation_mode padding_mode align_corners",
    "grid_sampler_2d": "input grid interpolation_mode padding_mode align_corners",
    "grid_sampler_3d": "input grid interpolation_mode padding_mode align_corners",
    "group_norm": "input num_groups weight bias eps cudnn_enabled",
    "hardshrink": "input lambd",
    "hinge_embedding_loss": "input target margin reduction",
    "instance_norm": "input weight bias running_mean running_var use_input_stats momentum eps "
    "cudnn_enabled",
    "kl_div": "input target reduction * log_target",
    "layer_norm": "input normalized_shape weight bias eps cudnn_enable",
    "margin_ranking_loss": "input1 input2 target margin reduction",
    "max_pool1d": "input kernel_size stride padding dilation ceil_mode",
    "max_pool1d_with_indices": "input kernel_size stride padding dilation ceil_mode",
    "max_pool2d": "input kernel_size stride padding dilation ceil_mode",
    "max_pool3d": "input kernel_size stride padding dilation ceil_mode",
    "norm_except_dim": "v pow dim",
    "pixel_shuffle": "input upscale_factor",
    "pixel_unshuffle": "input downscale_factor",
    "poisson_nll_loss": "input target log_input full eps reduction",
    "rms_norm": "input normalized_shape weight eps",
    "triplet_margin_loss": "anchor positive negative margin p eps swap reduction",
    "selu_": "input",
    "celu_": "input alpha",
    "rrelu_": "input lower upper training generator",
    "threshold_": "input threshold value",
}

# defaults that differ from "required" in torch 2.13 (the schema defaults)
TORCH_DEFAULTS = {
    "embedding": {"padding_idx": -1, "scale_grad_by_freq": False, "sparse": False},
    "kl_div": {"reduction": 1, "log_target": False},
    "layer_norm": {"weight": None, "bias": None, "eps": 1e-05, "cudnn_enable": True},
    "group_norm": {"eps": 1e-05, "cudnn_enabled": True},
    "binary_cross_entropy_with_logits": {"weight": None, "pos_weight": None, "reduction": 1},
    "triplet_margin_loss": {"margin": 1.0, "p": 2.0, "eps": 1e-06, "swap": False},
    "hinge_embedding_loss": {"margin": 1.0, "reduction": 1},
    "ctc_loss": {"blank": 0, "reduction": 1, "zero_infinity": False},
    "embedding_bag": {"mode": 0, "per_sample_weights": None, "padding_idx": None},
    "hardshrink": {"lambd": 0.5},
    "constant_pad_nd": {"value": 0},
    "norm_except_dim": {"pow": 2, "dim": 0},
    "rms_norm": {"weight": None, "eps": None},
}


def t64(a):
    return ember.tensor(np.asarray(a, dtype=np.float64))


def close(a, b, tol=1e-12):
    a = a.detach().numpy() if isinstance(a, ember.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, ember.Tensor) else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(TORCH_PARAMS))
def test_signature_matches_torch(name):
    params = inspect.signature(getattr(A, name)).parameters
    got = []
    for p in params.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in got:
            got.append("*")
        got.append(p.name)
    assert got == TORCH_PARAMS[name].split()
    for key, value in TORCH_DEFAULTS.get(name, {}).items():
        assert params[key].default == value, key
    assert name in A.__all__


def test_every_alias_is_exported_at_top_level():
    # needs `from .ops.nn_aliases import *` in ember/__init__.py (after the F re-exports)
    missing = [n for n in A.__all__ if getattr(ember, n, None) is not getattr(A, n)]
    assert missing == []


# ---------------------------------------------------------------- conv / pool / norm


def test_convs_equal_functional():
    rng = np.random.default_rng(0)
    x = t64(rng.standard_normal((2, 4, 7, 6)))
    w = t64(rng.standard_normal((6, 2, 3, 3)))
    b = t64(rng.standard_normal(6))
    close(A.conv2d(x, w, b, 2, 1, 1, 2), F.conv2d(x, w, b, stride=2, padding=1, groups=2))
    close(A.conv2d(x, w, b, padding="same", groups=2), F.conv2d(x, w, b, padding="same", groups=2))
    x1, w1 = t64(rng.standard_normal((1, 2, 9))), t64(rng.standard_normal((3, 2, 2)))
    close(A.conv1d(x1, w1, None, 1, 0, 2), F.conv1d(x1, w1, dilation=2))
    x3, w3 = t64(rng.standard_normal((1, 2, 4, 4, 4))), t64(rng.standard_normal((1, 2, 2, 2, 2)))
    close(A.conv3d(x3, w3), F.conv3d(x3, w3))
    wt = t64(rng.standard_normal((2, 3, 3)))
    close(A.conv_transpose1d(x1, wt, None, 2, 1, 1), F.conv_transpose1d(x1, wt, None, 2, 1, 1))
    wt2 = t64(rng.standard_normal((4, 1, 2, 2)))
    close(A.conv_transpose2d(x, wt2, None, 2), F.conv_transpose2d(x, wt2, stride=2))
    wt3 = t64(rng.standard_normal((2, 1, 2, 2, 2)))
    close(A.conv_transpose3d(x3, wt3), F.conv_transpose3d(x3, wt3))


def test_convolution_dispatches_and_expands_one_element_lists():
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal((1, 2, 5, 5)))
    w = t64(rng.standard_normal((3, 2, 3, 3)))
    close(A.convolution(x, w, None, [2], [1], [1], False, [0], 1), F.conv2d(x, w, None, 2, 1))
    wt = t64(rng.standard_normal((2, 3, 3, 3)))
    out = A.convolution(x, wt, None, [2], [1], [1], True, [1], 1)
    assert tuple(out.shape) == (1, 3, 10, 10)  # torch 2.13's shape for these arguments
    close(out, F.conv_transpose2d(x, wt, None, 2, 1, 1))
    with pytest.raises(RuntimeError, match="Expected 4-dimensional input"):
        A.convolution(x[0, 0], w, None, [1], [0], [1], False, [0], 1)
    with pytest.raises(ValueError, match="stride should have 2 or 1 elements"):
        A.convolution(x, w, None, [1, 1, 1], [0], [1], False, [0], 1)


def test_pools_default_stride_is_kernel_size():
    x = t64(np.arange(2 * 3 * 8).reshape(2, 3, 8) % 5)
    close(A.avg_pool1d(x, 2), F.avg_pool1d(x, 2))
    close(A.avg_pool1d(x, 3, (), 1, True, False), F.avg_pool1d(x, 3, 3, 1, True, False))
    close(A.max_pool1d(x, 3, 2, 1), F.max_pool1d(x, 3, 2, 1))
    assert tuple(A.max_pool1d(x, 2).shape) == (2, 3, 4)
    v, i = A.max_pool1d_with_indices(x, 2)
    rv, ri = F.max_pool1d(x, 2, return_indices=True)
    close(v, rv)
    assert (i.numpy() == ri.numpy()).all() and i.dtype == ember.int64
    x2 = t64(np.arange(2 * 6 * 6).reshape(1, 2, 6, 6) % 7)
    close(A.max_pool2d(x2, 2), F.max_pool2d(x2, 2, 2))
    x3 = t64(np.arange(64).reshape(1, 1, 4, 4, 4) % 9)
    close(A.max_pool3d(x3, 2, 1), F.max_pool3d(x3, 2, 1))
    close(A.adaptive_avg_pool1d(x, 3), F.adaptive_avg_pool1d(x, 3))


def test_adaptive_max_pool1d_returns_values_and_indices():
    x = ember.arange(12.0).reshape(1, 2, 6)
    v, i = A.adaptive_max_pool1d(x, 3)
    # torch.adaptive_max_pool1d(torch.arange(12.).reshape(1, 2, 6), 3)
    assert v.tolist() == [[[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]]]
    assert i.tolist() == [[[1, 3, 5], [1, 3, 5]]]


def test_norms_translate_argument_order():
    rng = np.random.default_rng(2)
    x = t64(rng.standard_normal((4, 3, 5)))
    w, b = t64(rng.random(3) + 0.5), t64(rng.standard_normal(3))
    rm, rv = t64(np.zeros(3)), t64(np.ones(3))
    rm2, rv2 = t64(np.zeros(3)), t64(np.ones(3))
    close(
        A.batch_norm(x, w, b, rm, rv, True, 0.2, 1e-3, True),
        F.batch_norm(x, rm2, rv2, w, b, True, 0.2, 1e-3),
    )
    close(rm, rm2)  # the running statistics were updated the same way
    close(rv, rv2)
    close(A.batch_norm(x, None, None, rm, rv, False, 0.1, 1e-5, False), F.batch_norm(x, rm, rv))
    close(
        A.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        F.instance_norm(x, weight=w, bias=b),
    )
    close(A.layer_norm(x, [5]), F.layer_norm(x, [5]))
    close(A.layer_norm(x, (3, 5), None, None, 1e-3, False), F.layer_norm(x, (3, 5), eps=1e-3))
    close(A.group_norm(x, 3, w, b, 1e-4), F.group_norm(x, 3, w, b, 1e-4))
    # torch.rms_norm(torch.arange(4.), [4]) (eps=None: float32 machine epsilon)
    close(A.rms_norm(ember.arange(4.0), [4]), [0.0, 0.5345225, 1.0690450, 1.6035675], 1e-6)


def test_norm_except_dim():
    v = ember.arange(24.0, dtype=ember.float64).reshape(2, 3, 4)
    out = A.norm_except_dim(v, 2, 1)
    assert tuple(out.shape) == (1, 3, 1)
    # torch.norm_except_dim(torch.arange(24.).reshape(2, 3, 4), 2, 1).flatten()
    close(out.flatten(), [27.349588662354687, 36.823905279043935, 47.11687595755899])
    close(out.flatten(), np.sqrt((np.arange(24.0).reshape(2, 3, 4) ** 2).sum((0, 2))))
    whole = A.norm_except_dim(v, 3, -1)  # -1 is ATen's "no dim kept": a 0-d norm
    assert whole.shape == ()
    close(whole, 42.39090822029288)
    assert tuple(A.norm_except_dim(v, 2, -2).shape) == (1, 3, 1)
    assert tuple(A.norm_except_dim(v).shape) == (2, 1, 1)
    v.requires_grad_(True)
    assert ember.autograd.gradcheck(lambda t: A.norm_except_dim(t, 2, 0), (v + 1.0,))


# ---------------------------------------------------------------- embedding


def test_embedding_weight_first_and_negative_padding_means_none():
    w = ember.ones(4, 2, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([0, 2, 2])
    out = A.embedding(w, idx)
    close(out, F.embedding(idx, w))
    A.embedding(w, idx, padding_idx=-2).sum().backward()
    # torch: padding_idx=-2 is "no padding row" at the ATen level
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]
    w.grad = None
    A.embedding(w, idx, padding_idx=2).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


W12 = np.arange(12.0).reshape(4, 3)
IDX = [0, 2, 1, 3, 3]


@pytest.mark.parametrize(
    "mode, last, pad, o2b, size, maxi",
    [  # literal results of torch.embedding_bag(arange(12.).reshape(4, 3), IDX, offsets, ...)
        (0, False, None, [], [0, 0, 0], [0, 0, 0]),
        (0, True, None, [], [0, 0, 0, 0], [0, 0, 0, 0]),
        (0, True, 3, [0, 0, 2, 2, 2], [0, 0, 0, 0], [0, 0, 0, 0]),
        (1, False, None, [0, 0, 2, 2, 2], [2, 0, 3], [2, 0, 3]),
        (1, True, 3, [0, 0, 2, 2, 2], [2, 0, 1], [2, 0, 1]),
        (2, False, None, [0, 0, 2, 2, 2], [2, 0, 3], [[2, 2, 2], [0, 0, 0], [3, 3, 3]]),
        (2, True, 3, [0, 0, 2, 2, 2], [2, 0, 1], [[2, 2, 2], [0, 0, 0], [1, 1, 1]]),
    ],
)
def test_embedding_bag_matches_torch(mode, last, pad, o2b, size, maxi):
    w = ember.tensor(W12)
    offsets = ember.tensor([0, 2, 2, 5] if last else [0, 2, 2])
    out, offset2bag, bag_size, max_indices = A.embedding_bag(
        w, ember.tensor(IDX), offsets, False, mode, False, None, last, pad
    )
    ref = F.embedding_bag(
        ember.tensor(IDX), w, offsets, mode=("sum", "mean", "max")[mode],
        include_last_offset=last, padding_idx=pad,
    )  # fmt: skip
    close(out, ref)
    assert offset2bag.tolist() == o2b and bag_size.tolist() == size
    assert max_indices.tolist() == maxi
    assert {offset2bag.dtype, bag_size.dtype, max_indices.dtype} == {ember.int64}


def test_embedding_bag_errors():
    w = ember.tensor(W12)
    with pytest.raises(ValueError, match="mode must be one of 0 \\(sum\\), 1 \\(mean\\)"):
        A.embedding_bag(w, ember.tensor(IDX), ember.tensor([0]), mode=3)
    with pytest.raises(ValueError, match="expected 1-d indices and offsets"):
        A.embedding_bag(w, ember.tensor([[0, 1]]), ember.tensor([0]))


# ---------------------------------------------------------------- losses with int reductions

X = [[-1.0, 0.5, 2.0], [0.25, -0.75, 1.5]]
T = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]


def test_kl_div_int_reduction_matches_torch_without_warning():
    lp, t = F.log_softmax(t64(X), -1), t64(T)
    # torch.kl_div(x.log_softmax(-1), t, r) in float64, r = 0, 1, 2
    close(
        A.kl_div(lp, t, 0),
        [
            [0.32637467684461136, 0.16120154769936634, -0.22591794195139414],
            [0.64190819138474, 0.027808751641317853, -0.2619900584756136],
        ],
    )
    close(A.kl_div(lp, t), 0.11156419452383796)  # no UserWarning (warnings are errors here)
    close(A.kl_div(lp, t, 2), 0.6693851671430278)
    close(A.kl_div(lp, t.log(), 1, log_target=True), 0.11156419452383798)


def test_reduction_int_errors():
    lp, t = t64(X), t64(T)
    with pytest.raises(ValueError, match="kl_div: reduction must be one of 0 \\(none\\)"):
        A.kl_div(lp, t, 3)
    with pytest.raises(TypeError, match="reduction must be an int .*nn.functional.kl_div"):
        A.kl_div(lp, t, "mean")
    with pytest.raises(TypeError, match="positional arguments"):
        A.kl_div(lp, t, 1, True)  # keyword-only, as in torch


def test_bce_with_logits_pos_weight_position_and_int_reduction():
    x, y, pw = t64(X), t64([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), t64([2.0, 1.0, 0.5])
    # torch.binary_cross_entropy_with_logits(x, y, None, pw, r)
    close(
        A.binary_cross_entropy_with_logits(x, y, None, pw, 0),
        [
            [2.6265233750364456, 0.9740769841801067, 0.06346400552148625],
            [0.8259394198788436, 1.1368710061148999, 0.1007066389913762],
        ],
    )
    close(A.binary_cross_entropy_with_logits(x, y, None, pw), 0.9545969049538597)
    close(A.binary_cross_entropy_with_logits(x, y, None, pw, 2), 5.727581429723158)


def test_poisson_nll_loss_all_required():
    x, y = t64([0.5, 1.0]), t64([1.0, 3.0])
    close(A.poisson_nll_loss(x, y, True, True, 1e-8, 2), 2.63108464270223)  # torch 2.13
    close(A.poisson_nll_loss(x, y, False, False, 0.5, 0), [0.5, -0.21639532432449315])


def test_margin_losses_equal_functional():
    a, b, y = t64([1.0, -2.0, 3.0]), t64([0.5, 1.0, -1.0]), t64([1.0, -1.0, 1.0])
    # max(0, -y (a - b) + margin), summed
    ref = np.maximum(0, -np.array([1, -1, 1]) * (np.array([1, -2, 3]) - [0.5, 1, -1]) + 2.0)
    close(A.margin_ranking_loss(a, b, y, 2.0, 2), ref.sum())
    close(A.hinge_embedding_loss(a, y, 1.0, 0), [1.0, 3.0, 3.0])  # torch 2.13
    x = t64(X)
    yy = t64([1.0, -1.0])
    close(
        A.cosine_embedding_loss(x, x.flip(-1), yy, 0.1, 0),
        [1.714285714285578, 0.35652173913027596],
        1e-10,
    )
    close(
        A.triplet_margin_loss(x, x * 0.5, x.flip(-1), 1.0, 2.0, 1e-6, True, 0),
        [0.0, 0.3374114220021245],
    )
    close(A.cosine_embedding_loss(x, x * 2, yy), F.cosine_embedding_loss(x, x * 2, yy))


def test_ctc_loss_int_reduction():
    rng = np.random.default_rng(3)
    lp = F.log_softmax(t64(rng.standard_normal((6, 2, 4))), -1)
    targets = ember.tensor([[1, 2], [3, 3]])
    il, tl = [6, 5], [2, 2]
    for r, name in enumerate(("none", "mean", "sum")):
        close(
            A.ctc_loss(lp, targets, il, tl, 0, r), F.ctc_loss(lp, targets, il, tl, reduction=name)
        )


# ---------------------------------------------------------------- dropout / activations


def test_dropout_family_needs_train_and_matches_functional():
    x = ember.ones(4, 3, 5)
    assert A.dropout(x, 0.5, False) is x  # eval: the input itself, as ATen returns
    ember.manual_seed(0)
    a = A.dropout(x, 0.5, True)
    ember.manual_seed(0)
    close(a, F.dropout(x, 0.5, True))
    assert set(np.unique(a.numpy())) <= {0.0, 2.0}
    ember.manual_seed(1)
    fd = A.feature_dropout(x, 0.5, True).numpy()
    # whole (sample, channel) rows share one draw
    assert (fd == fd[:, :, :1]).all() and set(np.unique(fd)) <= {0.0, 2.0}
    ember.manual_seed(2)
    ad = A.alpha_dropout(x, 0.5, True)
    ember.manual_seed(2)
    close(ad, F.alpha_dropout(x, 0.5, True))
    ember.manual_seed(3)
    fad = A.feature_alpha_dropout(x, 0.5, True).numpy()
    assert (fad == fad[:, :, :1]).all()
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        A.feature_dropout(ember.ones(3), 0.5, True)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        A.dropout(x, 1.5, True)


def test_inplace_forms_write_into_input():
    for fn in (A.dropout_, A.feature_dropout_, A.alpha_dropout_, A.feature_alpha_dropout_):
        x = ember.ones(2, 3, 4)
        ember.manual_seed(5)
        out = fn(x, 0.5, True)
        assert out is x and not (x.numpy() == 1).all()
    x = t64([-2.0, -0.5, 0.5, 3.0])
    ref = F.selu(x)
    assert A.selu_(x) is x
    close(x, ref)
    x = t64([-2.0, 0.5])
    A.celu_(x, 2.0)
    close(x, [2.0 * np.expm1(-1.0), 0.5])
    x = t64([-2.0, 0.5, 1.5])
    A.threshold_(x, 1.0, -9.0)
    close(x, [-9.0, -9.0, 1.5])
    x = t64([-2.0, 0.5])
    A.rrelu_(x)  # eval: slope (lower + upper) / 2
    close(x, [-2.0 * (0.125 + 1 / 3) / 2, 0.5])
    with pytest.raises(NotImplementedError, match="generator"):
        A.rrelu_(x, generator=object())
    close(A.hardshrink(t64([-1.0, 0.3, 0.6])), [-1.0, 0.0, 0.6])


# ---------------------------------------------------------------- vision


def test_shuffles_and_pad():
    x = ember.arange(2 * 8 * 2 * 2.0).reshape(2, 8, 2, 2)
    close(A.pixel_shuffle(x, 2), F.pixel_shuffle(x, 2))
    close(A.pixel_unshuffle(x, 2), F.pixel_unshuffle(x, 2))
    close(A.channel_shuffle(x, 4), F.channel_shuffle(x, 4))
    close(A.native_channel_shuffle(x, 2), F.channel_shuffle(x, 2))
    # torch.constant_pad_nd(torch.arange(6.).reshape(2, 3), [-1, 2, 1, 0], 7.)
    out = A.constant_pad_nd(ember.arange(6.0).reshape(2, 3), [-1, 2, 1, 0], 7.0)
    assert out.tolist() == [[7.0, 7.0, 7.0, 7.0], [1.0, 2.0, 7.0, 7.0], [4.0, 5.0, 7.0, 7.0]]


def test_grid_sampler_int_modes_match_torch():
    inp = ember.arange(9.0, dtype=ember.float64).reshape(1, 1, 3, 3)
    g = t64([[[[-0.9, 0.3], [0.2, 0.95]]]])
    # torch.grid_sampler(inp, g, mode, padding, align_corners)
    close(A.grid_sampler(inp, g, 0, 0, False).flatten(), [2.8274999999999997, 4.197500000000002])
    close(A.grid_sampler_2d(inp, g, 1, 1, True).flatten(), [3.0, 7.0])
    close(A.grid_sampler(inp, g, 2, 2, False).flatten(), [4.467093750000002, 7.9390937499999925])
    with pytest.raises(RuntimeError, match="expected 5D input and grid"):
        A.grid_sampler_3d(inp, g, 0, 0, False)
    with pytest.raises(ValueError, match="interpolation_mode must be one of 0 \\(bilinear\\)"):
        A.grid_sampler(inp, g, 5, 0, False)
    x5 = ember.ones(1, 1, 2, 2, 2)
    g5 = ember.zeros(1, 1, 1, 1, 3)
    close(A.grid_sampler_3d(x5, g5, 0, 0, True), F.grid_sample(x5, g5, align_corners=True))


def test_affine_grid_generator_and_bilinear():
    theta = t64([[[1.0, 0.2, 0.1], [0.0, 0.9, -0.3]]])
    close(
        A.affine_grid_generator(theta, [1, 1, 2, 3], False),
        F.affine_grid(theta, [1, 1, 2, 3], align_corners=False),
    )
    rng = np.random.default_rng(4)
    x1, x2 = t64(rng.standard_normal((2, 3))), t64(rng.standard_normal((2, 4)))
    w, b = t64(rng.standard_normal((5, 3, 4))), t64(rng.standard_normal(5))
    close(
        A.bilinear(x1, x2, w, b),
        np.einsum("ni,oij,nj->no", x1.numpy(), w.numpy(), x2.numpy()) + b.numpy(),
    )


def test_gradients_flow_through_aliases():
    rng = np.random.default_rng(5)
    x = t64(rng.standard_normal((1, 2, 4))).requires_grad_(True)
    w = t64(rng.standard_normal((3, 2, 2))).requires_grad_(True)
    assert ember.autograd.gradcheck(
        lambda a, b: A.convolution(a, b, None, [1], [1], [1], False, [0], 1), (x, w)
    )
    t = t64(np.full((1, 2, 4), 0.25))
    assert ember.autograd.gradcheck(lambda a: A.kl_div(a, t, 1), (x,))
