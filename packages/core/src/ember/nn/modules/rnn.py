"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's API.

Parameter names, shapes, gate order (LSTM: i, f, g, o; GRU: r, z, n), default initialisation
``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` and input/output shapes follow
``torch.nn.RNN`` & co., so PyTorch state_dicts load with ``strict=True``. The computation lives
in :mod:`ember.nn.functional._rnn`: one matmul for the input projection of all time steps, then
per step one matmul with all gates fused and one fused cell Function.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..._tensor import Tensor
from .. import init
from ..functional import _rnn as _F
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _ops():
    import ember

    return ember


def _check_dtype(name: str, input: Tensor, weight: Tensor) -> None:
    if input.dtype != weight.dtype:
        raise ValueError(
            f"{name} input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})"
        )


def _refuse_extra(name: str, kwargs: dict) -> None:
    # RNN and GRU take **kwargs only to give PyTorch's error for proj_size
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(
            f"{name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
        )


class RNNBase(Module):
    """The shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`: parameters
    (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, LSTM's
    ``weight_hr_l{k}``, with a ``_reverse`` suffix for the backward direction), input checks
    and the forward pass on tensors or :class:`~ember.nn.utils.rnn.PackedSequence`.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not (
            0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size

        em = _ops()
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, real_hidden),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for stem, shape in shapes.items():
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(em.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        """The parameters in PyTorch's flat order (read afresh, so reassignments are seen)."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch compacts the weights for cuDNN here; Ember has no cuDNN path."""

    def reset_parameters(self) -> None:
        """Every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- checks (PyTorch's names and messages, prefixed with the layer's name) ---------------

    def check_input(self, input: Tensor, batch_sizes) -> None:
        name = type(self).__name__
        _check_dtype(name, input, getattr(self, self._flat_weights_names[0]))
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"{name}: input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * directions, mini_batch, size)

    def check_hidden_size(self, hx, expected, msg: str = "Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(
                f"{type(self).__name__}: " + msg.format(tuple(expected), list(hx.shape))
            )

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # -- forward -----------------------------------------------------------------------------

    def _forward(self, input, hx):
        """Shared forward of RNN/LSTM/GRU. ``hx`` is a tensor, a pair (LSTM) or None."""
        em = _ops()
        name = type(self).__name__
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in batch_sizes_t.tolist()]
            self.check_input(data, batch_sizes)
            rows, batch = data, batch_sizes[0]
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead"
                )
            batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._batch_hidden(hx, batched)
            self.check_input(input, None)
            x = input.transpose(0, 1) if self.batch_first else input
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN")
            rows = x.reshape(steps * batch, self.input_size)
            batch_sizes = [batch] * steps
            sorted_indices = unsorted_indices = None
        cx = None
        if hx is None:
            directions = 2 if self.bidirectional else 1
            size = self.proj_size if self.proj_size > 0 else self.hidden_size
            zeros = dict(dtype=rows.dtype, device=rows.device)
            hx = em.zeros(self.num_layers * directions, batch, size, **zeros)
            if is_lstm:
                cx = em.zeros(self.num_layers * directions, batch, self.hidden_size, **zeros)
        else:
            if is_lstm:
                hx, cx = hx
            self._check_hidden(rows, hx, cx, batch_sizes)
            hx = self.permute_hidden(hx, sorted_indices)
            if cx is not None:
                cx = self.permute_hidden(cx, sorted_indices)
        out, h_n, c_n = _F._rnn_forward(
            "RNN" if self.mode.startswith("RNN") else self.mode,
            rows,
            batch_sizes,
            hx,
            cx,
            self._layer_weights(),
            self.num_layers,
            self.bidirectional,
            self.dropout,
            self.training,
            "relu" if self.mode == "RNN_RELU" else "tanh",
        )
        h_n = self.permute_hidden(h_n, unsorted_indices)
        if c_n is not None:
            c_n = self.permute_hidden(c_n, unsorted_indices)
        hidden = (h_n, c_n) if is_lstm else h_n
        if packed:
            return PackedSequence(out, batch_sizes_t, sorted_indices, unsorted_indices), hidden
        out = out.reshape(len(batch_sizes), batch, out.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(batch_dim)
            hidden = (h_n.squeeze(1), c_n.squeeze(1)) if is_lstm else h_n.squeeze(1)
        return out, hidden

    def _batch_hidden(self, hx, batched: bool):
        """Check the initial state's rank against the input's; add the batch dim if unbatched."""
        want = 3 if batched else 2
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if self.mode == "LSTM":
            h, c = hx
            if h.dim() != want or c.dim() != want:
                raise RuntimeError(
                    f"LSTM: For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h.dim()}-D, {c.dim()}-D) tensors"
                )
            return hx if batched else (h.unsqueeze(1), c.unsqueeze(1))
        if hx.dim() != want:
            raise RuntimeError(
                f"{type(self).__name__}: For {kind} input, hx should also be {want}-D but got "
                f"{hx.dim()}-D tensor"
            )
        return hx if batched else hx.unsqueeze(1)

    def _check_hidden(self, rows, hx, cx, batch_sizes) -> None:
        name = type(self).__name__
        directions = 2 if self.bidirectional else 1
        batch = batch_sizes[0]
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        expected = (self.num_layers * directions, batch, size)
        if cx is None:
            self.check_hidden_size(hx, expected)
        else:
            self.check_hidden_size(hx, expected, "Expected hidden[0] size {}, got {}")
            expected_c = (self.num_layers * directions, batch, self.hidden_size)
            self.check_hidden_size(cx, expected_c, "Expected hidden[1] size {}, got {}")
        for state in (hx, cx):
            if state is not None and state.dtype != rows.dtype:
                raise RuntimeError(
                    f"{name}: the initial state has dtype {state.dtype} but the input has "
                    f"{rows.dtype}; convert it with .to({rows.dtype})"
                )

    def _layer_weights(self) -> list[tuple]:
        """``(w_ih, w_hh, b_ih, b_hh, w_hr)`` per layer and direction, None where absent."""
        result = []
        for names in self._all_weights:
            p = {n.split("_l")[0]: getattr(self, n) for n in names}
            result.append(
                (p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"),
                 p.get("weight_hr"))
            )
        return result


_SHAPES_DOC = """
    Shape:
        - input: ``(L, H_in)`` unbatched, ``(L, N, H_in)``, or ``(N, L, H_in)`` with
          ``batch_first``; or a :class:`~ember.nn.utils.rnn.PackedSequence`.
        - initial state: ``(D * num_layers, H_out)`` unbatched or ``(D * num_layers, N, H_out)``
          (``D = 2`` if bidirectional else 1); zeros when omitted. ``batch_first`` does not
          apply to states.
        - output: ``(L, D * H_out)``, ``(L, N, D * H_out)`` or ``(N, L, D * H_out)`` (a
          PackedSequence for packed input): the last layer's ``h_t`` for every ``t``.
        - final state: like the initial one, the state after each sequence's last step.
"""


class RNN(RNNBase):
    """A multi-layer Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, with
    ``act`` tanh or ReLU.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: stacked layers, each taking the previous one's outputs (default 1).
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.
        bias: whether to use ``b_ih`` and ``b_hh`` (default True).
        batch_first: inputs and outputs as ``(batch, seq, feature)`` (default False).
        dropout: dropout probability on the outputs of every layer but the last, in training.
        bidirectional: run a second layer backwards in time and concatenate (default False).
    """ + _SHAPES_DOC + """
    Example:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(ember.randn(5, 3, 10), ember.randn(2, 3, 20))
        >>> tuple(output.shape), tuple(h_n.shape)
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        **kwargs,
    ) -> None:
        _refuse_extra("RNN", kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``."""
        return self._forward(input, hx)


class LSTM(RNNBase):
    """A multi-layer long short-term memory RNN. For each step (gates in PyTorch's order)::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g                             h' = o * tanh(c')

    With ``proj_size > 0`` the hidden state is projected: ``h' = W_hr (o * tanh(c'))``, and
    ``H_out = proj_size`` (the cell state keeps ``hidden_size``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            :class:`RNN`.
        proj_size: size of the projected hidden state (default 0: no projection).
    """ + _SHAPES_DOC + """
        The states are pairs ``(h, c)``; ``c`` has ``hidden_size`` features.

    Example:
        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (h_n, c_n) = lstm(ember.randn(5, 3, 10))
        >>> tuple(output.shape), tuple(c_n.shape)
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def get_expected_cell_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        expected = self.get_expected_hidden_size(input, batch_sizes)
        return (expected[0], expected[1], self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        """Returns ``(output, (h_n, c_n))``."""
        return self._forward(input, hx)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit RNN. For each step (gates in PyTorch's order)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as in
            :class:`RNN`.
    """ + _SHAPES_DOC + """
    Example:
        >>> gru = nn.GRU(10, 20, batch_first=True)
        >>> output, h_n = gru(ember.randn(3, 5, 10))
        >>> tuple(output.shape), tuple(h_n.shape)
        ((3, 5, 20), (1, 3, 20))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        **kwargs,
    ) -> None:
        _refuse_extra("GRU", kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``."""
        return self._forward(input, hx)


# ---------------------------------------------------------------------------------------------
# Cells: one time step
# ---------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Parameters and checks shared by the cells: ``weight_ih (chunks * hidden, input)``,
    ``weight_hh (chunks * hidden, hidden)``, ``bias_ih`` and ``bias_hh`` (or None)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        em = _ops()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(em.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(em.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(em.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(em.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        """Every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, states: tuple):
        """Check ``input`` and the states (each None or a tensor); batch unbatched ones.
        Returns ``(input, states, batched)`` with every state a ``(N, hidden)`` tensor."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        _check_dtype(name, input, self.weight_ih)
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        out = []
        for k, h in enumerate(states):
            if h is None:
                h = _ops().zeros(input.shape[0], self.hidden_size, dtype=input.dtype,
                                 device=input.device)
            else:
                label = f"hx[{k}]" if len(states) == 2 else "hidden"
                if h.dim() not in (1, 2):
                    raise ValueError(
                        f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead"
                    )
                if h.dim() != (2 if batched else 1):
                    raise RuntimeError(
                        f"{name}: for {'batched 2-D' if batched else 'unbatched 1-D'} input, "
                        f"{label} should also be {2 if batched else 1}-D, got {h.dim()}-D"
                    )
                if not batched:
                    h = h.unsqueeze(0)
                if h.shape[0] != input.shape[0]:
                    raise RuntimeError(
                        f"{name}: Input batch size {input.shape[0]} doesn't match hidden{k} "
                        f"batch size {h.shape[0]}"
                    )
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(
                        f"{name}: hidden{k} has inconsistent hidden_size: got {h.shape[1]}, "
                        f"expected {self.hidden_size}"
                    )
                if h.dtype != input.dtype:
                    raise RuntimeError(
                        f"{name}: hidden{k} has dtype {h.dtype} but the input has "
                        f"{input.dtype}; convert it with .to({input.dtype})"
                    )
            out.append(h)
        return input, out, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h``.
        bias: whether to use ``b_ih`` and ``b_hh`` (default True).
        nonlinearity: ``'tanh'`` (default) or ``'relu'``.

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; hidden ``(N, H)`` or ``(H)`` (zeros if omitted);
        output like hidden.

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> tuple(cell(ember.randn(3, 10)).shape)
        (3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            # checked here, not in __init__, as PyTorch does
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, (hx,), batched = self._prepare(input, (hx,))
        h = _F._rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                         self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o as in :class:`LSTM`); returns ``(h', c')``.

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h`` and ``c``.
        bias: whether to use ``b_ih`` and ``b_hh`` (default True).

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; ``hx = (h, c)`` each ``(N, H)`` or ``(H)`` (zeros
        if omitted); outputs like ``h`` and ``c``.

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> tuple(h.shape), tuple(c.shape)
        ((3, 20), (3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        input, (h, c), batched = self._prepare(input, (None, None) if hx is None else tuple(hx))
        h, c = _F._lstm_cell(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                             self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n as in :class:`GRU`).

    Args:
        input_size: features of ``x``.
        hidden_size: features of ``h``.
        bias: whether to use ``b_ih`` and ``b_hh`` (default True).

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; hidden ``(N, H)`` or ``(H)`` (zeros if omitted);
        output like hidden.

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> tuple(cell(ember.randn(10)).shape)
        (20,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (hx,), batched = self._prepare(input, (hx,))
        h = _F._gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)
