"""Recurrent kernels: fused cell Functions and the time loop behind ember.nn's RNN/LSTM/GRU.

PyTorch's ``torch.nn.functional`` has no public recurrent functions (the layers call private
``_VF`` kernels), so this module exports nothing; :mod:`ember.nn.modules.rnn` and the cell
modules call the private helpers below.

How one layer and direction runs (the loop over time steps is inherent to recurrence):

1. The input projection of **every** time step is one matmul before the loop:
   ``xg = x @ W_ih^T + b`` on the rows of all steps at once.
2. Each step does one matmul ``h @ W_hh^T`` with all gates fused (``4 * hidden`` columns for
   LSTM, ``3 * hidden`` for GRU) and one cell Function (gate nonlinearities, state update) whose
   backward is analytical.

Sequences travel as *rows*: a 2-D tensor ``(N, features)`` whose rows are grouped by time step,
``batch_sizes[t]`` rows for step ``t`` -- exactly the layout of a ``PackedSequence``'s data. A
padded ``(T, B, *)`` input is the special case ``batch_sizes = [B] * T`` (a free reshape). For
packed input the batch shrinks as sequences end (they are sorted by decreasing length), so
every sequence stops at its own length and its final state is the one at its last valid step.

Backward of the fused cells: under a plain ``backward()`` (grad mode off) the gradients are
computed on the arrays the forward kept; under ``create_graph=True`` (grad mode on) the gate
activations are recomputed from the saved inputs with differentiable Ember ops and the *same*
formulas run on Tensors, so higher-order gradients are exact.
"""

from __future__ import annotations

from ..._tensor import _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of

__all__: list[str] = []


def _ops():
    # The op families are imported lazily: ember.nn loads while ember itself is importing.
    import ember

    return ember


# ---------------------------------------------------------------------------------------------
# Gate arithmetic shared by the fast (array) path and the differentiable (Tensor) path
# ---------------------------------------------------------------------------------------------


def _sigmoid_(xp, a):
    """Sigmoid in place, as ``0.5 * tanh(x / 2) + 0.5``: one transcendental call and no
    overflow for large ``|x|`` (``exp(-x)`` would overflow, and warn, below -88 in float32)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _lstm_cell_grads(i, f, g, o, tc, c_prev, gh, gc):
    """d(gate pre-activations) and d(c_prev) of ``c = f*c_prev + i*g``, ``h = o*tanh(c)``.

    Works on NumPy/CuPy arrays and on Tensors alike (only +, -, *); returns the four gate
    gradients (in PyTorch's order i, f, g, o) and ``dc_prev``.
    """
    dc = gc + gh * o * (1 - tc * tc)
    di = dc * g * i * (1 - i)
    df = dc * c_prev * f * (1 - f)
    dg = dc * i * (1 - g * g)
    do = gh * tc * o * (1 - o)
    return (di, df, dg, do), dc * f


def _gru_cell_grads(r, z, n, hn, h_prev, gh):
    """Gradients of ``h = (1 - z) * n + z * h_prev`` with ``n = tanh(xn + r * hn)``.

    Returns (d xr, d xz, d xn) -- also d(hr, hz) -- and d(hn), and ``dh_prev``; arrays or
    Tensors.
    """
    dn = gh * (1 - z) * (1 - n * n)
    dz = gh * (h_prev - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    return (dr, dz, dn), dn * r, gh * z


# ---------------------------------------------------------------------------------------------
# Fused cells
# ---------------------------------------------------------------------------------------------


class _LSTMCell(Function):
    """``(h, c)`` of one LSTM step from the input part ``xg`` (bias included) and the hidden
    part ``hg = h_prev @ W_hh^T`` of the gate pre-activations, columns ordered i, f, g, o."""

    @staticmethod
    def forward(ctx, xg, hg, c_prev):
        xp = xp_of(xg._data)
        hidden = c_prev._data.shape[-1]
        a = xg._data + hg._data  # a fresh buffer: the activations overwrite it
        # i, f, o are sigmoids and g a tanh; with sigmoid(x) = tanh(x/2)/2 + 1/2 all four
        # gates need a single tanh call over the whole buffer.
        sig = (a[..., : 2 * hidden], a[..., 3 * hidden :])
        for s in sig:
            s *= 0.5
        xp.tanh(a, out=a)
        for s in sig:
            s *= 0.5
            s += 0.5
        i, f, g, o = (a[..., k * hidden : (k + 1) * hidden] for k in range(4))
        c = f * c_prev._data
        c += i * g
        tc = xp.tanh(c)
        h = o * tc
        if ctx.needs_input_grad:
            ctx.save_for_backward(xg, hg, c_prev)
            ctx.arrays = (a, tc)
        return h, c

    @staticmethod
    def backward(ctx, gh, gc):
        xg, hg, c_prev = ctx.saved_tensors
        if STATE.enabled:  # create_graph: recompute the activations differentiably
            em = _ops()
            pre_i, pre_f, pre_g, pre_o = (xg + hg).chunk(4, -1)
            i, f, o = em.sigmoid(pre_i), em.sigmoid(pre_f), em.sigmoid(pre_o)
            g = em.tanh(pre_g)
            tc = em.tanh(f * c_prev + i * g)
            parts, dc_prev = _lstm_cell_grads(i, f, g, o, tc, c_prev, gh, gc)
            dgates = em.cat(parts, -1)
        else:
            a, tc = ctx.arrays
            hidden = tc.shape[-1]
            i, f, g, o = (a[..., k * hidden : (k + 1) * hidden] for k in range(4))
            parts, dc_prev = _lstm_cell_grads(i, f, g, o, tc, c_prev._data, gh._data, gc._data)
            dgates = xp_of(a).concatenate(parts, -1)
        needs = ctx.needs_input_grad
        return (
            dgates if needs[0] else None,
            dgates if needs[1] else None,
            dc_prev if needs[2] else None,
        )


class _GRUCell(Function):
    """``h`` of one GRU step from ``xg = x @ W_ih^T + b_ih`` and ``hg = h_prev @ W_hh^T``
    (``b_hh`` added here: PyTorch applies the reset gate to ``W_hn h + b_hn``), columns ordered
    r, z, n."""

    @staticmethod
    def forward(ctx, xg, hg, b_hh, h_prev):
        xp = xp_of(xg._data)
        hidden = h_prev._data.shape[-1]
        x, hh = xg._data, hg._data
        if b_hh is not None:
            hh = hh + b_hh._data
        rz = _sigmoid_(xp, x[..., : 2 * hidden] + hh[..., : 2 * hidden])
        r, z = rz[..., :hidden], rz[..., hidden:]
        hn = hh[..., 2 * hidden :]
        n = r * hn
        n += x[..., 2 * hidden :]
        xp.tanh(n, out=n)
        h = h_prev._data - n  # h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)
        h *= z
        h += n
        if ctx.needs_input_grad:
            ctx.save_for_backward(xg, hg, b_hh, h_prev)
            ctx.arrays = (rz, n, hn)
        return h

    @staticmethod
    def backward(ctx, gh):
        xg, hg, b_hh, h_prev = ctx.saved_tensors
        if STATE.enabled:  # create_graph: recompute the activations differentiably
            em = _ops()
            hh = hg if b_hh is None else hg + b_hh
            x_r, x_z, x_n = xg.chunk(3, -1)
            h_r, h_z, hn = hh.chunk(3, -1)
            r, z = em.sigmoid(x_r + h_r), em.sigmoid(x_z + h_z)
            n = em.tanh(x_n + r * hn)
            (dr, dz, dn), dhn, dh_prev = _gru_cell_grads(r, z, n, hn, h_prev, gh)
            dxg = em.cat((dr, dz, dn), -1)
            dhg = em.cat((dr, dz, dhn), -1)
        else:
            rz, n, hn = ctx.arrays
            hidden = n.shape[-1]
            r, z = rz[..., :hidden], rz[..., hidden:]
            (dr, dz, dn), dhn, dh_prev = _gru_cell_grads(r, z, n, hn, h_prev._data, gh._data)
            xp = xp_of(n)
            dxg = xp.concatenate((dr, dz, dn), -1)
            dhg = xp.concatenate((dr, dz, dhn), -1)
        needs = ctx.needs_input_grad
        db = None
        if needs[2]:
            db = dhg.sum(tuple(range(dhg.ndim - 1)))
        return (
            dxg if needs[0] else None,
            dhg if needs[1] else None,
            db,
            dh_prev if needs[3] else None,
        )


class _RNNCell(Function):
    """``act(xg + hg)`` for the Elman RNN, ``act`` being tanh or relu."""

    @staticmethod
    def forward(ctx, xg, hg, nonlinearity):
        xp = xp_of(xg._data)
        out = xg._data + hg._data
        if nonlinearity == "tanh":
            xp.tanh(out, out=out)
        else:
            xp.maximum(out, 0, out=out)
        out = _make(out)  # saved below: an output must be a Tensor to be saved
        if ctx.needs_input_grad:
            ctx.nonlinearity = nonlinearity
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors  # the output itself: differentiable through this node
        if ctx.nonlinearity == "tanh":
            g = grad * (1 - out * out)  # tanh' = 1 - tanh^2
        else:
            g = grad * (out > 0)
        needs = ctx.needs_input_grad
        return (g if needs[0] else None), (g if needs[1] else None), None


# ---------------------------------------------------------------------------------------------
# Cells on one step (nn.RNNCell / LSTMCell / GRUCell)
# ---------------------------------------------------------------------------------------------


def _project(em, x, weight, bias):
    """``x @ weight^T + bias`` (bias may be None)."""
    out = em.matmul(x, weight.t())
    return out if bias is None else out + bias


def _rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    """One Elman step on ``(B, in)`` / ``(B, hidden)`` inputs."""
    em = _ops()
    bias = None if b_ih is None else b_ih + b_hh
    return _RNNCell.apply(_project(em, x, w_ih, bias), em.matmul(h, w_hh.t()), nonlinearity)


def _lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step: ``(h, c)``."""
    em = _ops()
    bias = None if b_ih is None else b_ih + b_hh
    return _LSTMCell.apply(_project(em, x, w_ih, bias), em.matmul(h, w_hh.t()), c)


def _gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step."""
    em = _ops()
    return _GRUCell.apply(_project(em, x, w_ih, b_ih), em.matmul(h, w_hh.t()), b_hh, h)


# ---------------------------------------------------------------------------------------------
# Whole sequences
# ---------------------------------------------------------------------------------------------


def _run_direction(mode, xg, batch_sizes, h0, c0, w_hh, b_hh, w_hr, reverse, nonlinearity):
    """Run one layer in one direction over the rows ``xg`` (input projections, grouped by step).

    Returns the output rows ``(N, hidden or proj)`` and the final ``h`` (and ``c``), one row per
    sequence in the order of ``h0``.
    """
    em = _ops()
    steps = em.split(xg, batch_sizes, 0)
    w_hh_t = w_hh.t()
    w_hr_t = None if w_hr is None else w_hr.t()
    total = len(batch_sizes)
    outs = [None] * total
    h, c = h0, c0
    ended_h, ended_c = [], []
    if reverse and batch_sizes[-1] != h0._data.shape[0]:
        # running backwards, only the sequences that reach the last step start there
        h = em.split(h0, [batch_sizes[-1], h0._data.shape[0] - batch_sizes[-1]], 0)[0]
        if c0 is not None:
            c = em.split(c0, [batch_sizes[-1], c0._data.shape[0] - batch_sizes[-1]], 0)[0]
    for t in range(total - 1, -1, -1) if reverse else range(total):
        bs, n = batch_sizes[t], h._data.shape[0]
        if bs < n:  # forward: sequences [bs, n) ended at step t-1; their state is final
            h, done = em.split(h, [bs, n - bs], 0)
            ended_h.append(done)
            if c is not None:
                c, done = em.split(c, [bs, n - bs], 0)
                ended_c.append(done)
        elif bs > n:  # reverse: sequences [n, bs) start here, from their initial state
            h = em.cat((h, em.split(h0, [n, bs - n, h0._data.shape[0] - bs], 0)[1]), 0)
            if c is not None:
                c = em.cat((c, em.split(c0, [n, bs - n, c0._data.shape[0] - bs], 0)[1]), 0)
        hg = em.matmul(h, w_hh_t)
        if mode == "LSTM":
            h, c = _LSTMCell.apply(steps[t], hg, c)
            if w_hr_t is not None:
                h = em.matmul(h, w_hr_t)
        elif mode == "GRU":
            h = _GRUCell.apply(steps[t], hg, b_hh, h)
        else:
            h = _RNNCell.apply(steps[t], hg, nonlinearity)
        outs[t] = h
    if ended_h:  # forward over a shrinking batch: reassemble the final states in batch order
        h = em.cat([h, *ended_h[::-1]], 0)
        if c is not None:
            c = em.cat([c, *ended_c[::-1]], 0)
    return em.cat(outs, 0), h, c


def _dropout_rows(x, p):
    """Inverted dropout between layers (training only), drawn from Ember's default generator
    of ``x``'s device so ``ember.manual_seed`` reproduces it."""
    from ...ops.random import _rng

    if p >= 1:
        return x * 0
    data = x._data
    xp = xp_of(data)
    draw_dtype = data.dtype if data.dtype.kind == "f" and data.itemsize >= 4 else "float32"
    keep = _rng(None, x.device).random(data.shape, dtype=draw_dtype) >= p
    mask = keep.astype(data.dtype)
    mask *= xp.asarray(1.0 / (1.0 - p), dtype=data.dtype)
    return x * _make(mask)


def _rnn_forward(
    mode,
    rows,
    batch_sizes,
    hx,
    cx,
    weights,
    num_layers,
    bidirectional,
    dropout,
    training,
    nonlinearity="tanh",
):
    """The multi-layer (bi)directional recurrence on rows grouped by time step.

    Args:
        mode: ``'RNN'``, ``'LSTM'`` or ``'GRU'``.
        rows: ``(N, input_size)``; ``batch_sizes[t]`` consecutive rows per step ``t``.
        batch_sizes: list of Python ints, non-increasing.
        hx: ``(num_layers * D, B, H_out)``; cx: ``(num_layers * D, B, hidden)`` or None.
        weights: one tuple ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` per layer and direction (None
            for absent ones), in PyTorch's order (layer-major, forward before reverse).

    Returns:
        ``(output rows (N, D * H_out), h_n, c_n or None)``.
    """
    em = _ops()
    directions = 2 if bidirectional else 1
    h0s = hx.unbind(0)
    c0s = cx.unbind(0) if cx is not None else [None] * len(h0s)
    h_n, c_n = [], []
    layer_in = rows
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            if b_ih is None:
                bias = None
            elif mode == "GRU":
                bias = b_ih  # b_hh stays inside the cell (the reset gate multiplies b_hn)
            else:
                bias = b_ih + b_hh
            xg = _project(em, layer_in, w_ih, bias)  # every time step in one matmul
            out, h, c = _run_direction(
                mode, xg, batch_sizes, h0s[k], c0s[k], w_hh, b_hh, w_hr, d == 1, nonlinearity
            )
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_in = outs[0] if directions == 1 else em.cat(outs, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_in = _dropout_rows(layer_in, dropout)
    return layer_in, em.stack(h_n, 0), (em.stack(c_n, 0) if cx is not None else None)
