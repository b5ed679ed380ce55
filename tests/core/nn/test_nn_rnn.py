"""Recurrent layers (RNN, LSTM, GRU and cells) and nn.utils.rnn (packing and padding).

Forward passes are checked against NumPy implementations of the equations written here (a
plain loop over time), gradients by finite differences in float64, packed sequences against
running every sequence alone, and parameter names/shapes against PyTorch's literal lists.
"""

import re

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

F64 = ember.float64


# ---------------------------------------------------------------------------------------------
# NumPy reference: the equations of PyTorch's documentation, one time step at a time
# ---------------------------------------------------------------------------------------------


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_cell(mode, x, h, c, w, nonlinearity="tanh"):
    """One step. ``w``: dict with w_ih, w_hh, b_ih, b_hh (maybe None), w_hr (maybe None)."""
    gi = x @ w["w_ih"].T + (0 if w["b_ih"] is None else w["b_ih"])
    gh = h @ w["w_hh"].T + (0 if w["b_hh"] is None else w["b_hh"])
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = np_sigmoid(f) * c + np_sigmoid(i) * np.tanh(g)
        h = np_sigmoid(o) * np.tanh(c)
        if w.get("w_hr") is not None:
            h = h @ w["w_hr"].T
        return h, c
    if mode == "GRU":
        xr, xz, xn = np.split(gi, 3, axis=-1)
        hr, hz, hn = np.split(gh, 3, axis=-1)
        r, z = np_sigmoid(xr + hr), np_sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    pre = gi + gh
    return (np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)), None


def np_params(module, layer, suffix=""):
    def get(stem):
        p = getattr(module, f"{stem}_l{layer}{suffix}", None)
        return None if p is None else p.detach().numpy().astype(np.float64)

    return {k: get(s) for k, s in [("w_ih", "weight_ih"), ("w_hh", "weight_hh"),
                                     ("b_ih", "bias_ih"), ("b_hh", "bias_hh"),
                                     ("w_hr", "weight_hr")]}


def np_rnn(module, x, h0=None, c0=None):
    """Reference forward of a (multi-layer, maybe bidirectional) module on ``(T, B, I)``."""
    mode = "LSTM" if isinstance(module, nn.LSTM) else "GRU" if isinstance(module, nn.GRU) else "RNN"
    nonlin = getattr(module, "nonlinearity", "tanh")
    dirs = 2 if module.bidirectional else 1
    steps, batch = x.shape[:2]
    h_out = module.proj_size or module.hidden_size
    if h0 is None:
        h0 = np.zeros((module.num_layers * dirs, batch, h_out))
    if c0 is None:
        c0 = np.zeros((module.num_layers * dirs, batch, module.hidden_size))
    layer_in, h_n, c_n = x, [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w = np_params(module, layer, "_reverse" if d else "")
            h, c = h0[k], c0[k]
            out = np.zeros((steps, batch, h_out))
            for t in reversed(range(steps)) if d else range(steps):
                h, c = np_cell(mode, layer_in[t], h, c, w, nonlin)
                out[t] = h
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_in = np.concatenate(outs, axis=-1)
    return layer_in, np.stack(h_n), (np.stack(c_n) if mode == "LSTM" else None)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, requires_grad=False):
    return ember.tensor(a, dtype=F64, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# Forward against the reference
# ---------------------------------------------------------------------------------------------

LAYER_CASES = [
    ("rnn_tanh_2layer", lambda: nn.RNN(4, 5, num_layers=2)),
    ("rnn_relu_nobias", lambda: nn.RNN(4, 5, nonlinearity="relu", bias=False)),
    ("rnn_bidirectional", lambda: nn.RNN(4, 5, bidirectional=True)),
    ("lstm_2layer_bidirectional", lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True)),
    ("lstm_proj", lambda: nn.LSTM(4, 5, num_layers=2, proj_size=3)),
    ("lstm_proj_bidirectional", lambda: nn.LSTM(4, 5, bidirectional=True, proj_size=2)),
    ("lstm_batch_first", lambda: nn.LSTM(4, 5, batch_first=True)),
    ("gru_2layer_bidirectional", lambda: nn.GRU(4, 5, num_layers=2, bidirectional=True)),
    ("gru_nobias_batch_first", lambda: nn.GRU(4, 5, bias=False, batch_first=True)),
]


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name,make", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_forward_matches_numpy(name, make, with_state):
    ember.manual_seed(1)
    m = make().double()
    steps, batch = 6, 3
    dirs = 2 if m.bidirectional else 1
    h_out = m.proj_size or m.hidden_size
    x = rand(steps, batch, 4)
    h0 = rand(m.num_layers * dirs, batch, h_out, seed=1) if with_state else None
    c0 = rand(m.num_layers * dirs, batch, m.hidden_size, seed=2) if with_state else None
    ref_out, ref_h, ref_c = np_rnn(m, x, h0, c0)

    xin = t64(x.transpose(1, 0, 2) if m.batch_first else x)
    is_lstm = isinstance(m, nn.LSTM)
    hx = None
    if with_state:
        hx = (t64(h0), t64(c0)) if is_lstm else t64(h0)
    out, hidden = m(xin, hx)
    out = out.detach().numpy()
    if m.batch_first:
        out = out.transpose(1, 0, 2)
    assert out.shape == (steps, batch, dirs * h_out)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    if is_lstm:
        h_n, c_n = hidden
        np.testing.assert_allclose(c_n.detach().numpy(), ref_c, rtol=1e-10, atol=1e-12)
    else:
        h_n = hidden
    assert tuple(h_n.shape) == (m.num_layers * dirs, batch, h_out)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h, rtol=1e-10, atol=1e-12)


def test_float32_default_dtype_and_output_dtype():
    m = nn.LSTM(3, 4)
    assert m.weight_ih_l0.dtype == ember.float32
    x = rand(5, 2, 3).astype(np.float32)
    out, (h, c) = m(ember.tensor(x))
    assert out.dtype == h.dtype == c.dtype == ember.float32
    ref, _, _ = np_rnn(m, x.astype(np.float64))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_unbatched_input(cls):
    ember.manual_seed(2)
    m = cls(3, 4, num_layers=2).double()
    x = rand(5, 3)
    h0 = rand(2, 4, seed=3)
    ref_out, ref_h, ref_c = np_rnn(m, x[:, None], h0[:, None], h0[:, None])
    hx = (t64(h0), t64(h0)) if cls is nn.LSTM else t64(h0)
    out, hidden = m(t64(x), hx)
    assert tuple(out.shape) == (5, 4)
    np.testing.assert_allclose(out.detach().numpy(), ref_out[:, 0], rtol=1e-10)
    h_n = hidden[0] if cls is nn.LSTM else hidden
    assert tuple(h_n.shape) == (2, 4)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h[:, 0], rtol=1e-10)
    if cls is nn.LSTM:
        np.testing.assert_allclose(hidden[1].detach().numpy(), ref_c[:, 0], rtol=1e-10)


def test_output_shapes_for_argument_combinations():
    x = ember.randn(7, 2, 3)
    out, (h, c) = nn.LSTM(3, 6, num_layers=3, bidirectional=True, proj_size=4)(x)
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((7, 2, 8), (6, 2, 4), (6, 2, 6))
    out, h = nn.GRU(3, 6, batch_first=True, bidirectional=True)(ember.randn(2, 7, 3))
    assert (tuple(out.shape), tuple(h.shape)) == ((2, 7, 12), (2, 2, 6))
    out, h = nn.RNN(3, 6)(ember.randn(7, 0, 3))  # an empty batch is allowed, as in PyTorch
    assert (tuple(out.shape), tuple(h.shape)) == ((7, 0, 6), (1, 0, 6))


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize(
    "cls,kwargs",
    [(nn.RNNCell, {}), (nn.RNNCell, {"nonlinearity": "relu"}), (nn.LSTMCell, {}),
     (nn.GRUCell, {}), (nn.LSTMCell, {"bias": False}), (nn.GRUCell, {"bias": False})],
)
def test_cells_match_numpy(cls, kwargs, batched):
    ember.manual_seed(3)
    cell = cls(3, 4, **kwargs).double()
    x, h, c = rand(2, 3), rand(2, 4, seed=1), rand(2, 4, seed=2)
    w = {
        "w_ih": cell.weight_ih.detach().numpy(),
        "w_hh": cell.weight_hh.detach().numpy(),
        "b_ih": None if cell.bias_ih is None else cell.bias_ih.detach().numpy(),
        "b_hh": None if cell.bias_hh is None else cell.bias_hh.detach().numpy(),
    }
    mode = {nn.RNNCell: "RNN", nn.LSTMCell: "LSTM", nn.GRUCell: "GRU"}[cls]
    ref_h, ref_c = np_cell(mode, x, h, c, w, kwargs.get("nonlinearity", "tanh"))
    if not batched:
        x, h, c, ref_h = x[0], h[0], c[0], ref_h[0]
        ref_c = None if ref_c is None else ref_c[0]
    if cls is nn.LSTMCell:
        out_h, out_c = cell(t64(x), (t64(h), t64(c)))
        np.testing.assert_allclose(out_c.detach().numpy(), ref_c, rtol=1e-12)
    else:
        out_h = cell(t64(x), t64(h))
    assert out_h.shape == ref_h.shape
    np.testing.assert_allclose(out_h.detach().numpy(), ref_h, rtol=1e-12)


def test_cells_default_state_is_zero():
    ember.manual_seed(4)
    cell = nn.LSTMCell(3, 4).double()
    x = t64(rand(2, 3))
    zeros = ember.zeros(2, 4, dtype=F64)
    h1, c1 = cell(x)
    h2, c2 = cell(x, (zeros, zeros))
    np.testing.assert_array_equal(h1.detach().numpy(), h2.detach().numpy())
    np.testing.assert_array_equal(c1.detach().numpy(), c2.detach().numpy())
    gru = nn.GRUCell(3, 4).double()
    np.testing.assert_array_equal(gru(x).detach().numpy(), gru(x, zeros).detach().numpy())


def test_lstm_cell_equals_one_step_of_lstm():
    ember.manual_seed(5)
    lstm = nn.LSTM(3, 4).double()
    cell = nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = t64(rand(1, 2, 3))
    out, (h, c) = lstm(x)
    h2, c2 = cell(x[0])
    np.testing.assert_allclose(h2.detach().numpy(), h[0].detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(c2.detach().numpy(), c[0].detach().numpy(), rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# Gradients (float64, tiny: seq 3, batch 2, hidden 3)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(2, 3),
        lambda: nn.LSTM(2, 3, bidirectional=True, proj_size=2),
        lambda: nn.GRU(2, 3, bidirectional=True),
        lambda: nn.RNN(2, 3, num_layers=2),
        lambda: nn.RNN(2, 3, nonlinearity="relu"),
    ],
    ids=["lstm", "lstm_bidir_proj", "gru_bidir", "rnn_2layer", "rnn_relu"],
)
def test_gradcheck_input_states_and_weights(make):
    ember.manual_seed(6)
    m = make().double()
    dirs = 2 if m.bidirectional else 1
    h_out = m.proj_size or m.hidden_size
    x = t64(rand(3, 2, 2), requires_grad=True)
    h0 = t64(0.5 * rand(m.num_layers * dirs, 2, h_out, seed=1), requires_grad=True)
    # bidirectional: the reverse direction's weights (the forward ones are checked in the
    # unidirectional cases), to keep the finite differences few
    params = [p for n, p in m.named_parameters() if not m.bidirectional or "reverse" in n]
    if isinstance(m, nn.LSTM):
        c0 = t64(0.5 * rand(m.num_layers * dirs, 2, 3, seed=2), requires_grad=True)

        def f(x, h0, c0, *ps):
            out, (h, c) = m(x, (h0, c0))
            return out, h, c

        assert gradcheck(f, (x, h0, c0, *params))
    else:

        def f(x, h0, *ps):
            return m(x, h0)

        assert gradcheck(f, (x, h0, *params))


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_gradgradcheck_cells(cls):
    ember.manual_seed(7)
    cell = cls(2, 2).double()
    x = t64(rand(2, 2), requires_grad=True)
    h = t64(rand(2, 2, seed=1), requires_grad=True)
    params = list(cell.parameters())
    if cls is nn.LSTMCell:
        c = t64(rand(2, 2, seed=2), requires_grad=True)
        assert gradgradcheck(lambda x, h, c, *ps: cell(x, (h, c)), (x, h, c, *params))
    else:
        assert gradgradcheck(lambda x, h, *ps: cell(x, h), (x, h, *params))


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_create_graph_gradients_equal_plain_gradients(cls):
    # The fused cells compute plain gradients on saved arrays but recompute the activations
    # with differentiable ops under create_graph=True: both paths must agree (gradgradcheck
    # only checks that the create_graph path is differentiated consistently).
    ember.manual_seed(17)
    cell = cls(2, 3).double()
    x = t64(rand(2, 2), requires_grad=True)
    h = t64(rand(2, 3, seed=1), requires_grad=True)
    c = t64(rand(2, 3, seed=2), requires_grad=True)
    inputs = [x, h, *cell.parameters()] + ([c] if cls is nn.LSTMCell else [])
    grads = []
    for create_graph in (False, True):
        out = cell(x, (h, c)) if cls is nn.LSTMCell else (cell(x, h),)
        loss = sum((o * t64(rand(*o.shape, seed=3 + k))).sum() for k, o in enumerate(out))
        grads.append(ember.autograd.grad(loss, inputs, create_graph=create_graph))
    for plain, graph in zip(*grads):
        assert graph.requires_grad
        np.testing.assert_allclose(graph.detach().numpy(), plain.numpy(), rtol=1e-12, atol=1e-14)


def test_gradgradcheck_gru_layer_through_time():
    ember.manual_seed(8)
    m = nn.GRU(2, 2).double()
    x = t64(rand(2, 1, 2), requires_grad=True)
    assert gradgradcheck(lambda x, w: m(x)[0], (x, m.weight_hh_l0))


def test_backward_accumulates_into_all_parameters():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    out, (h, c) = m(ember.randn(5, 2, 3))
    (out.sum() + h.sum() + c.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.abs(p.grad.numpy()).sum() > 0, name


# ---------------------------------------------------------------------------------------------
# Packed sequences through the layers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
        lambda: nn.GRU(3, 4, bidirectional=True, batch_first=True),
        lambda: nn.RNN(3, 4, num_layers=2),
    ],
    ids=["lstm", "gru", "rnn"],
)
def test_packed_output_equals_each_sequence_alone(make):
    ember.manual_seed(9)
    m = make().double()
    is_lstm = isinstance(m, nn.LSTM)
    lengths = [3, 5, 1, 4]
    seqs = [t64(rand(n, 3, seed=n)) for n in lengths]
    dirs = 2 if m.bidirectional else 1
    h_out = m.proj_size or m.hidden_size
    h0 = t64(rand(m.num_layers * dirs, 4, h_out, seed=10))
    c0 = t64(rand(m.num_layers * dirs, 4, 4, seed=11))
    packed = pack_sequence(seqs, enforce_sorted=False)
    out, hidden = m(packed, (h0, c0) if is_lstm else h0)
    assert isinstance(out, PackedSequence)
    padded, out_lengths = pad_packed_sequence(out, batch_first=m.batch_first)
    assert out_lengths.tolist() == lengths
    for b, (seq, n) in enumerate(zip(seqs, lengths)):
        x = seq.unsqueeze(0 if m.batch_first else 1)
        hx_b = (h0[:, b : b + 1], c0[:, b : b + 1]) if is_lstm else h0[:, b : b + 1]
        ref_out, ref_hidden = m(x, hx_b)
        got = padded[b, :n] if m.batch_first else padded[:n, b]
        np.testing.assert_allclose(got.detach().numpy(), ref_out.squeeze(
            0 if m.batch_first else 1).detach().numpy(), rtol=1e-12, atol=1e-14)
        pairs = zip(hidden, ref_hidden) if is_lstm else [(hidden, ref_hidden)]
        for got_h, ref_h in pairs:
            np.testing.assert_allclose(got_h[:, b].detach().numpy(),
                                       ref_h[:, 0].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_gradcheck_through_packed_sequence():
    ember.manual_seed(12)
    m = nn.LSTM(2, 3, bidirectional=True).double()
    x = t64(rand(3, 2, 2), requires_grad=True)

    def f(x, w):
        out, (h, c) = m(pack_padded_sequence(x, [2, 3], enforce_sorted=False))
        return pad_packed_sequence(out)[0], h

    assert gradcheck(f, (x, m.weight_hh_l0_reverse))


# ---------------------------------------------------------------------------------------------
# Padding and packing utilities
# ---------------------------------------------------------------------------------------------


def test_pad_sequence_layouts_and_sides():
    a, b = ember.tensor([1, 2, 3]), ember.tensor([4])
    assert pad_sequence([a, b]).tolist() == [[1, 4], [2, 0], [3, 0]]
    assert pad_sequence([a, b], batch_first=True, padding_value=-1).tolist() == [
        [1, 2, 3], [4, -1, -1]]
    assert pad_sequence([a, b], batch_first=True, padding_side="left").tolist() == [
        [1, 2, 3], [0, 0, 4]]
    # trailing dims are kept; an int tensor padded with 0.5 gets 0 (cast, as in PyTorch)
    c = pad_sequence([ember.ones(2, 2, dtype=ember.int64), ember.ones(1, 2, dtype=ember.int64)],
                     padding_value=0.5)
    assert c.dtype == ember.int64 and c.tolist() == [[[1, 1], [1, 1]], [[1, 1], [0, 0]]]


def test_pack_padded_sequence_literal_layout():
    x = ember.tensor([[1.0, 5.0, 8.0], [2.0, 6.0, 0.0], [3.0, 7.0, 0.0], [4.0, 0.0, 0.0]])
    p = pack_padded_sequence(x, [4, 3, 1])
    assert p.data.tolist() == [1.0, 5.0, 8.0, 2.0, 6.0, 3.0, 7.0, 4.0]
    assert p.batch_sizes.tolist() == [3, 2, 2, 1] and p.batch_sizes.dtype == ember.int64
    assert p.sorted_indices is None and p.unsorted_indices is None
    # unsorted lengths: sorted here, permutation kept
    y = ember.tensor([[1.0, 0.0, 0.0, 0.0], [2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 0.0]])
    q = pack_padded_sequence(y, [1, 4, 3], batch_first=True, enforce_sorted=False)
    assert q.sorted_indices.tolist() == [1, 2, 0] and q.unsorted_indices.tolist() == [2, 0, 1]
    assert q.data.tolist() == [2.0, 6.0, 1.0, 3.0, 7.0, 4.0, 8.0, 5.0]
    assert q.batch_sizes.tolist() == [3, 2, 2, 1]


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_restores_order_and_padding(batch_first):
    lengths = [2, 5, 3]
    seqs = [t64(rand(n, 2, seed=n)) for n in lengths]
    padded = pad_sequence(seqs, batch_first=batch_first, padding_value=9.0)
    packed = pack_padded_sequence(padded, ember.tensor(lengths), batch_first=batch_first,
                                  enforce_sorted=False)
    back, out_lengths = pad_packed_sequence(packed, batch_first=batch_first, padding_value=9.0,
                                            total_length=6)
    assert out_lengths.tolist() == lengths and out_lengths.dtype == ember.int64
    expected = padded.numpy()
    pad = np.full((1, 3, 2) if not batch_first else (3, 1, 2), 9.0)
    expected = np.concatenate([expected, pad], axis=1 if batch_first else 0)
    np.testing.assert_array_equal(back.numpy(), expected)
    assert [s.tolist() for s in unpack_sequence(packed)] == [s.tolist() for s in seqs]
    unpadded = unpad_sequence(padded, lengths, batch_first=batch_first)
    assert [s.tolist() for s in unpadded] == [s.tolist() for s in seqs]


def test_pack_sequence_and_gradient_flows_back():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0, 5.0], requires_grad=True)
    p = pack_sequence([a, b], enforce_sorted=False)
    assert p.data.tolist() == [3.0, 1.0, 4.0, 2.0, 5.0] and p.batch_sizes.tolist() == [2, 2, 1]
    weights = t64([1.0, 2.0, 3.0, 4.0, 5.0])
    (p.data * weights).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0] and b.grad.tolist() == [1.0, 3.0, 5.0]


def test_invert_permutation_and_packed_sequence_methods():
    assert invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert invert_permutation(None) is None
    p = pack_sequence([ember.ones(3), ember.ones(2)])
    assert p.to(ember.float32) is p
    q = p.double()
    assert q.data.dtype == F64 and q.batch_sizes is p.batch_sizes and not q.is_cuda
    data, batch_sizes, sorted_indices, unsorted_indices = q  # a named tuple of four
    assert sorted_indices is None and unsorted_indices is None
    r = PackedSequence(ember.ones(5), ember.tensor([2, 2, 1]), ember.tensor([1, 0]))
    assert r.unsorted_indices.tolist() == [1, 0]


def test_packing_errors():
    x = ember.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 3])
    with pytest.raises(RuntimeError, match=re.escape("but got 2 (batch_size=3)")):
        pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(RuntimeError, match="exceeds the padded length"):
        pack_padded_sequence(x, [5, 2, 1])
    p = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
        pad_packed_sequence(p, total_length=2)
    with pytest.raises(RuntimeError, match="empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="padding_side to be one of left or right"):
        pad_sequence([ember.ones(2)], padding_side="middle")
    with pytest.raises(RuntimeError, match=re.escape("sequence 1 has shape (4, 2)")):
        pad_sequence([ember.ones(2, 3), ember.ones(4, 2)])


# ---------------------------------------------------------------------------------------------
# Parameters, state_dict, init, repr
# ---------------------------------------------------------------------------------------------


def shapes(module):
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


def test_state_dict_keys_and_shapes_match_pytorch():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert shapes(lstm) == [
        ("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)),
        ("bias_hh_l0", (16,)), ("weight_hr_l0", (2, 4)),
        ("weight_ih_l0_reverse", (16, 3)), ("weight_hh_l0_reverse", (16, 2)),
        ("bias_ih_l0_reverse", (16,)), ("bias_hh_l0_reverse", (16,)),
        ("weight_hr_l0_reverse", (2, 4)),
        ("weight_ih_l1", (16, 4)), ("weight_hh_l1", (16, 2)), ("bias_ih_l1", (16,)),
        ("bias_hh_l1", (16,)), ("weight_hr_l1", (2, 4)),
        ("weight_ih_l1_reverse", (16, 4)), ("weight_hh_l1_reverse", (16, 2)),
        ("bias_ih_l1_reverse", (16,)), ("bias_hh_l1_reverse", (16,)),
        ("weight_hr_l1_reverse", (2, 4)),
    ]
    assert shapes(nn.GRU(2, 3, bias=False)) == [("weight_ih_l0", (9, 2)), ("weight_hh_l0", (9, 3))]
    assert shapes(nn.RNN(2, 3, num_layers=2)) == [
        ("weight_ih_l0", (3, 2)), ("weight_hh_l0", (3, 3)), ("bias_ih_l0", (3,)),
        ("bias_hh_l0", (3,)), ("weight_ih_l1", (3, 3)), ("weight_hh_l1", (3, 3)),
        ("bias_ih_l1", (3,)), ("bias_hh_l1", (3,)),
    ]
    assert shapes(nn.LSTMCell(2, 3, bias=False)) == [("weight_ih", (12, 2)), ("weight_hh", (12, 3))]
    assert nn.LSTMCell(2, 3, bias=False).bias_ih is None
    assert shapes(nn.GRUCell(2, 3)) == [("weight_ih", (9, 2)), ("weight_hh", (9, 3)),
                                        ("bias_ih", (9,)), ("bias_hh", (9,))]
    assert len(lstm.all_weights) == 4 and len(lstm.all_weights[0]) == 5
    assert lstm._flat_weights_names[:2] == ["weight_ih_l0", "weight_hh_l0"]


def test_load_state_dict_round_trip_gives_same_outputs():
    ember.manual_seed(13)
    a = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    b = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    result = b.load_state_dict(a.state_dict(), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = ember.randn(5, 2, 3)
    np.testing.assert_array_equal(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())
    b.flatten_parameters()  # a no-op, as on a CPU in PyTorch
    np.testing.assert_array_equal(a(x)[1].detach().numpy(), b(x)[1].detach().numpy())


@pytest.mark.parametrize("make", [lambda: nn.LSTM(5, 16, num_layers=2), lambda: nn.GRUCell(5, 16)])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(make):
    ember.manual_seed(14)
    bound = 1 / np.sqrt(16)
    values = np.concatenate([p.detach().numpy().ravel() for p in make().parameters()])
    assert np.abs(values).max() <= bound
    # U(-b, b): mean 0, variance b^2 / 3 (thousands of samples: loose but meaningful bounds)
    assert abs(values.mean()) < 0.05 * bound
    assert values.var() == pytest.approx(bound**2 / 3, rel=0.1)


def test_extra_repr_matches_pytorch():
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        lstm = nn.LSTM(3, 4, proj_size=2, dropout=0.5, bidirectional=True)
    assert repr(lstm) == "LSTM(3, 4, proj_size=2, dropout=0.5, bidirectional=True)"
    assert repr(nn.GRU(3, 4, 2, bias=False, batch_first=True)) == (
        "GRU(3, 4, num_layers=2, bias=False, batch_first=True)")
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"


# ---------------------------------------------------------------------------------------------
# Dropout between layers
# ---------------------------------------------------------------------------------------------


def test_dropout_between_layers_training_only_and_seeded():
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5).double()
    x = t64(rand(4, 2, 3))
    ember.manual_seed(15)
    a = m(x)[0].detach().numpy()
    ember.manual_seed(15)
    b = m(x)[0].detach().numpy()
    c = m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)  # reproducible under manual_seed
    assert not np.allclose(a, c)  # a fresh mask otherwise
    m.eval()
    ref, _, _ = np_rnn(m, x.numpy())
    np.testing.assert_allclose(m(x)[0].detach().numpy(), ref, rtol=1e-12)


def test_dropout_one_zeroes_the_second_layer_input():
    m = nn.RNN(3, 4, num_layers=2, dropout=1.0).double()
    x = t64(rand(4, 2, 3))
    out, h = m(x)
    # the second layer sees only zeros: its output is the recurrence on its biases alone
    second = nn.RNN(4, 4).double()
    second.load_state_dict({k.replace("l1", "l0"): v for k, v in m.state_dict().items()
                            if k.endswith("l1")})
    ref, _ = second(ember.zeros(4, 2, 4, dtype=F64))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_layer_errors():
    lstm = nn.LSTM(4, 8)
    msg = "LSTM: input.size(-1) must be equal to input_size. Expected 4, got 5"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        lstm(ember.randn(2, 3, 5))
    msg = "LSTM: Expected hidden[0] size (1, 3, 8), got [1, 2, 8]"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        lstm(ember.randn(2, 3, 4), (ember.randn(1, 2, 8), ember.randn(1, 3, 8)))
    msg = "LSTM: Expected hidden[1] size (1, 3, 8), got [1, 3, 7]"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        lstm(ember.randn(2, 3, 4), (ember.randn(1, 3, 8), ember.randn(1, 3, 7)))
    msg = "GRU: Expected hidden size (1, 3, 8), got [1, 2, 8]"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        nn.GRU(4, 8)(ember.randn(2, 3, 4), ember.randn(1, 2, 8))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D instead"):
        nn.GRU(4, 8)(ember.randn(2, 3, 3, 4))
    with pytest.raises(ValueError, match=re.escape("input dtype (ember.float64) does not match")):
        lstm(ember.randn(2, 3, 4, dtype=F64))
    with pytest.raises(RuntimeError, match="hx and cx should also be 2-D but got"):
        lstm(ember.randn(2, 4), (ember.randn(1, 1, 8), ember.randn(1, 1, 8)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        nn.RNN(4, 8)(ember.randn(2, 3, 4), ember.randn(3, 8))
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        nn.RNN(4, 8)(ember.randn(0, 3, 4))


def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)


def test_cell_errors():
    cell = nn.LSTMCell(4, 8)
    with pytest.raises(RuntimeError, match="LSTMCell: input has inconsistent input_size: got 5"):
        cell(ember.randn(3, 5))
    with pytest.raises(RuntimeError, match="Input batch size 3 doesn't match hidden0 batch size 2"):
        cell(ember.randn(3, 4), (ember.randn(2, 8), ember.randn(2, 8)))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 7, expected"):
        cell(ember.randn(3, 4), (ember.randn(3, 8), ember.randn(3, 7)))
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.GRUCell(4, 8)(ember.randn(1, 3, 4))
    with pytest.raises(RuntimeError, match="unbatched 1-D input, hidden should also be 1-D"):
        nn.GRUCell(4, 8)(ember.randn(4), ember.randn(3, 8))
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        nn.RNNCell(4, 8, nonlinearity="gelu")(ember.randn(2, 4))


# ---------------------------------------------------------------------------------------------
# Devices (CUDA runs where available)
# ---------------------------------------------------------------------------------------------


def test_layers_on_device_match_cpu(device):
    ember.manual_seed(16)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2, dropout=0.0)
    x = ember.randn(5, 2, 3)
    ref_out, (ref_h, ref_c) = lstm(x)
    lstm.to(device)
    out, (h, c) = lstm(x.to(device))
    assert out.device.type == device
    for got, ref in ((out, ref_out), (h, ref_h), (c, ref_c)):
        np.testing.assert_allclose(got.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    out.sum().backward()
    assert lstm.weight_hh_l1_reverse.grad.device.type == device
    gru = nn.GRU(3, 4).to(device)
    packed = pack_sequence([ember.randn(4, 3), ember.randn(2, 3)]).to(device)
    out, h = gru(packed)
    assert out.data.device.type == device and tuple(h.shape) == (1, 2, 4)
