"""Short-time Fourier transforms (``stft``, ``istft``) and the window functions.

Both transforms are linear maps, so each is one ``Function`` whose backward is its adjoint, and
the adjoint is itself a ``Function`` whose backward is the original transform: gradients of any
order come for free. With real signals the maps are only *real*-linear (``x -> rfft(x)``), and
the adjoint follows PyTorch's convention for complex gradients (``dL/dRe z + i dL/dIm z``):
``x_bar = Re(A^H z_bar)``.

Framing is a strided view of the padded signal (no copy); its adjoint, overlap-add, loops over
the ``ceil(n_fft / hop)`` frame segments that overlap one sample (4 for the usual quarter hop),
each step a vectorised add over every batch row and frame.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import register_methods, xp_of
from .creation import _finish, _target

__all__ = [
    "stft",
    "istft",
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
]

_NP_PAD = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# ---------------------------------------------------------------------------------------------
# Framing, overlap-add and padding (each one the other's adjoint)
# ---------------------------------------------------------------------------------------------


def _frames(xp, x, n_fft: int, hop: int, n_frames: int):
    """(B, T) -> (B, n_frames, n_fft): a read-only strided view, frame f = x[f*hop : f*hop+n]."""
    x = xp.ascontiguousarray(x)
    s_b, s_t = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (x.shape[0], n_frames, n_fft), (s_b, hop * s_t, s_t)
    )


def _overlap_add(xp, frames, hop: int, length: int):
    """(B, F, n) -> (B, length): frame f added at offset f*hop (the adjoint of ``_frames``)."""
    batch, n_frames, n = frames.shape
    segments = -(-n // hop)
    if segments * hop != n:  # pad frames to whole hop-long segments
        frames = xp.concatenate(
            [frames, xp.zeros((batch, n_frames, segments * hop - n), frames.dtype)], axis=-1
        )
    frames = frames.reshape(batch, n_frames, segments, hop)
    out = xp.zeros((batch, n_frames + segments - 1, hop), frames.dtype)
    for j in range(segments):  # segment j of frame f lands in output block f + j
        out[:, j : j + n_frames] += frames[:, :, j]
    out = out.reshape(batch, -1)
    if out.shape[1] >= length:
        return out[:, :length]
    return xp.concatenate([out, xp.zeros((batch, length - out.shape[1]), out.dtype)], axis=1)


def _unpad(xp, g, pad: int, mode: str, length: int):
    """The adjoint of padding ``length`` samples by ``pad`` on both sides in ``mode``."""
    if pad == 0:
        return g
    core = g[:, pad : pad + length].copy()
    left, right = g[:, :pad], g[:, pad + length :]
    if mode == "reflect":  # left[p] came from x[pad - p], right[j] from x[T - 2 - j]
        core[:, 1 : pad + 1] += left[:, ::-1]
        core[:, length - 1 - pad : length - 1] += right[:, ::-1]
    elif mode == "replicate":
        core[:, 0] += left.sum(axis=1)
        core[:, -1] += right.sum(axis=1)
    elif mode == "circular":
        core[:, length - pad :] += left
        core[:, :pad] += right
    return core


def _half_spectrum_weights(xp, n_fft: int, n_freq: int, dtype):
    """c_k for ``irfft``: bins other than 0 and n/2 stand for two conjugate bins."""
    c = xp.full(n_freq, 2.0, dtype=dtype)
    c[0] = 1.0
    if n_fft % 2 == 0:
        c[-1] = 1.0
    return c


# ---------------------------------------------------------------------------------------------
# The two transforms and their adjoints, on arrays
# ---------------------------------------------------------------------------------------------


class _Plan:
    """Everything that fixes the linear map of one stft/istft call."""

    __slots__ = ("n_fft", "hop", "window", "center", "pad_mode", "normalized", "onesided",
                 "real_signal", "signal_length", "n_frames", "length", "dtype")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def _stft_array(x, plan: _Plan):
    """(B, T) signal -> (B, n_freq, n_frames) spectrum."""
    xp = xp_of(x)
    pad = plan.n_fft // 2 if plan.center else 0
    if pad:
        x = xp.pad(x, ((0, 0), (pad, pad)), mode=_NP_PAD[plan.pad_mode])
    frames = _frames(xp, x, plan.n_fft, plan.hop, plan.n_frames) * plan.window
    if plan.onesided:
        spec = xp.fft.rfft(frames, axis=-1)
    else:
        spec = xp.fft.fft(frames, axis=-1)
    if plan.normalized:
        spec *= plan.n_fft**-0.5
    cdtype = np.result_type(frames.dtype, np.complex64)
    return spec.astype(cdtype, copy=False).transpose(0, 2, 1)


def _stft_adjoint_array(g, plan: _Plan):
    """(B, n_freq, n_frames) -> (B, T): the adjoint of ``_stft_array``."""
    xp = xp_of(g)
    n = plan.n_fft
    g = g.transpose(0, 2, 1)
    if plan.onesided:  # x_bar[t] = Re sum_k g_k e^{+i 2 pi k t / n} = n irfft(g / c)
        c = _half_spectrum_weights(xp, n, g.shape[-1], g.real.dtype)
        frames = xp.fft.irfft(g / c, n=n, axis=-1) * (n * plan.window)
    else:
        frames = xp.fft.ifft(g, axis=-1) * (n * xp.conj(plan.window))
        if plan.real_signal:  # a real signal: the real part of the complex adjoint
            frames = frames.real
    if plan.normalized:
        frames *= n**-0.5
    pad = n // 2 if plan.center else 0
    out = _overlap_add(xp, frames, plan.hop, plan.signal_length + 2 * pad)
    return _unpad(xp, out, pad, plan.pad_mode, plan.signal_length).astype(plan.dtype, copy=False)


def _istft_parts(plan: _Plan, xp, dtype):
    """The output span ``[start, end)`` of the overlap-added signal and its window envelope."""
    n, hop = plan.n_fft, plan.hop
    full = n + hop * (plan.n_frames - 1)
    start = n // 2 if plan.center else 0
    if plan.length is not None:
        end = start + plan.length
    else:
        end = full - (n // 2 if plan.center else 0)
    square = xp.broadcast_to(plan.window * plan.window, (1, plan.n_frames, n))
    envelope = _overlap_add(xp, square.astype(dtype), hop, full)[0, start:end]
    return full, start, end, envelope


def _istft_array(z, plan: _Plan):
    """(B, n_freq, n_frames) spectrum -> (B, length) signal (overlap-add, window-normalised)."""
    xp = xp_of(z)
    n = plan.n_fft
    z = z.transpose(0, 2, 1)
    if plan.real_signal:
        # PyTorch: a two-sided input with a real output keeps the first n/2+1 bins (irfft)
        frames = xp.fft.irfft(z[..., : n // 2 + 1], n=n, axis=-1)
    else:
        frames = xp.fft.ifft(z, axis=-1)
    if plan.normalized:
        frames *= math.sqrt(n)
    frames = frames * plan.window
    full, start, end, envelope = _istft_parts(plan, xp, frames.real.dtype)
    y = _overlap_add(xp, frames, plan.hop, full)[:, start:end] / envelope
    if end > full:
        y = xp.concatenate([y, xp.zeros((y.shape[0], end - full), y.dtype)], axis=1)
    return y


def _istft_adjoint_array(g, plan: _Plan):
    """(B, length) -> (B, n_freq, n_frames): the adjoint of ``_istft_array``."""
    xp = xp_of(g)
    n = plan.n_fft
    full, start, end, envelope = _istft_parts(plan, xp, g.real.dtype)
    kept = min(end, full) - start
    padded = xp.zeros((g.shape[0], full), g.dtype)
    padded[:, start : start + kept] = g[:, :kept] / envelope[:kept]
    frames = _frames(xp, padded, n, plan.hop, plan.n_frames) * xp.conj(plan.window)
    if plan.normalized:
        frames = frames * math.sqrt(n)
    if plan.real_signal:  # irfft's adjoint: z_bar_k = c_k / n * rfft(y_bar)_k
        half = xp.fft.rfft(frames, axis=-1)
        half *= _half_spectrum_weights(xp, n, half.shape[-1], half.real.dtype) / n
        if plan.onesided:
            spec = half
        else:
            spec = xp.zeros(frames.shape[:-1] + (n,), half.dtype)
            spec[..., : half.shape[-1]] = half
    else:
        spec = xp.fft.fft(frames, axis=-1) / n
    cdtype = np.result_type(g.dtype, np.complex64)
    return spec.astype(cdtype, copy=False).transpose(0, 2, 1)


class _Stft(Function):
    @staticmethod
    def forward(ctx, x, plan):
        ctx.plan = plan
        return _stft_array(x._data, plan)

    @staticmethod
    def backward(ctx, grad):
        return _StftAdjoint.apply(grad, ctx.plan), None


class _StftAdjoint(Function):
    @staticmethod
    def forward(ctx, g, plan):
        ctx.plan = plan
        return _stft_adjoint_array(g._data, plan)

    @staticmethod
    def backward(ctx, grad):
        return _Stft.apply(grad, ctx.plan), None


class _Frames(Function):
    """(B, T) signal -> (B, n_frames, n_fft) padded frames (a copy), for the window-gradient
    path: there the window multiplies these frames with an ordinary, differentiable ``*``."""

    @staticmethod
    def forward(ctx, x, plan):
        ctx.plan = plan
        xp = xp_of(x._data)
        pad = plan.n_fft // 2 if plan.center else 0
        data = x._data
        if pad:
            data = xp.pad(data, ((0, 0), (pad, pad)), mode=_NP_PAD[plan.pad_mode])
        return _frames(xp, data, plan.n_fft, plan.hop, plan.n_frames).copy()

    @staticmethod
    def backward(ctx, grad):
        return _FramesAdjoint.apply(grad, ctx.plan), None


class _FramesAdjoint(Function):
    """Overlap-add then un-pad: the adjoint of ``_Frames`` (and its backward)."""

    @staticmethod
    def forward(ctx, g, plan):
        ctx.plan = plan
        xp = xp_of(g._data)
        pad = plan.n_fft // 2 if plan.center else 0
        out = _overlap_add(xp, g._data, plan.hop, plan.signal_length + 2 * pad)
        return _unpad(xp, out, pad, plan.pad_mode, plan.signal_length)

    @staticmethod
    def backward(ctx, grad):
        return _Frames.apply(grad, ctx.plan), None


def _stft_with_window_grad(x: Tensor, window: Tensor, plan: _Plan) -> Tensor:
    """stft when the window needs a gradient (PyTorch differentiates w.r.t. it too).

    ``X = DFT(frames(x) * w)``: framing and the DFT are linear Functions with adjoint
    backwards, the product is Ember's ``*``, so gradients of any order reach both ``x`` and
    ``window``. The DFT is ``_Stft`` itself on one frame per row (hop = n_fft, no centring,
    a rectangular window). Slower than the fused path (the frames are copied), so it is used
    only when the window requires grad.
    """
    from .join import cat

    n_fft = plan.n_fft
    batch = x.shape[0]
    frames = _Frames.apply(x, plan)  # (B, F, n_fft)
    left = (n_fft - window.shape[0]) // 2
    right = n_fft - window.shape[0] - left
    w = window
    if left or right:  # centre the window in the frame with zeros, as _window_array does
        zeros = xp_of(window._data).zeros
        w = cat([_make(zeros(left, window._data.dtype)), window,
                 _make(zeros(right, window._data.dtype))])
    windowed = (frames * w).reshape(batch * plan.n_frames, n_fft)
    dft = _Plan(n_fft=n_fft, hop=n_fft, window=xp_of(x._data).ones(n_fft, x._data.real.dtype),
                center=False, pad_mode=plan.pad_mode, normalized=plan.normalized,
                onesided=plan.onesided, real_signal=windowed._data.dtype.kind != "c",
                signal_length=n_fft, n_frames=1, length=None, dtype=windowed._data.dtype)
    spec = _Stft.apply(windowed, dft)  # (B * F, n_freq, 1)
    return spec.reshape(batch, plan.n_frames, spec.shape[1]).transpose(1, 2)


class _Istft(Function):
    @staticmethod
    def forward(ctx, z, plan):
        ctx.plan = plan
        return _istft_array(z._data, plan)

    @staticmethod
    def backward(ctx, grad):
        return _IstftAdjoint.apply(grad, ctx.plan), None


class _IstftAdjoint(Function):
    @staticmethod
    def forward(ctx, g, plan):
        ctx.plan = plan
        return _istft_adjoint_array(g._data, plan)

    @staticmethod
    def backward(ctx, grad):
        return _Istft.apply(grad, ctx.plan), None


# ---------------------------------------------------------------------------------------------
# Public transforms
# ---------------------------------------------------------------------------------------------


def _window_array(op, window, n_fft, win_length, like):
    """The window padded (centred) to ``n_fft`` samples, as an array on ``like``'s device."""
    xp = xp_of(like)
    if window is None:
        # PyTorch warns here that a rectangular window leaks; we stay silent (warnings are
        # errors in many test setups) and apply the same rectangular window.
        w = xp.ones(win_length, dtype=like.real.dtype)
    else:
        if window.ndim != 1 or window.shape[0] != win_length:
            raise RuntimeError(
                f"{op}: expected a 1D window tensor of size equal to win_length={win_length}, "
                f"but got window with size {list(window.shape)}"
            )
        if type(window._data) is not type(like):
            raise RuntimeError(f"{op}: the window and the input are on different devices "
                               f"({window.device} and input); move the window with .to()")
        if op == "istft" and STATE.enabled and window.requires_grad:
            # Deliberate gap: PyTorch also differentiates istft with respect to the window
            # (stft does here too, see _stft_with_window_grad).
            raise NotImplementedError(
                f"{op}: gradients with respect to the window are not implemented; pass "
                f"window.detach()"
            )
        w = window._data
    left = (n_fft - win_length) // 2
    if left or win_length != n_fft:
        w = xp.concatenate([xp.zeros(left, w.dtype), w,
                            xp.zeros(n_fft - win_length - left, w.dtype)])
    return w


def _check_float(op, t: Tensor):
    if t._data.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise RuntimeError(
            f"{op}: expected a float32/float64 or complex tensor, got {t.dtype.name}; convert "
            f"with .float() (or .double())"
        )


def _resolve_hop_win(op, n_fft, hop_length, win_length):
    win_length = n_fft if win_length is None else int(win_length)
    hop_length = n_fft // 4 if hop_length is None else int(hop_length)
    if n_fft <= 0:
        raise RuntimeError(f"{op}: expected n_fft > 0, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(
            f"{op}: expected 0 < win_length <= n_fft, but got win_length={win_length}"
        )
    return hop_length, win_length


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None) -> Tensor:
    """The short-time Fourier transform: the FFT of overlapping windowed frames.

    ``X[m, f] = sum_k window[k] input[f * hop_length + k] exp(-2 pi i m k / n_fft)``.

    Args:
        input: the signal, (T,) or (B, T); float32/float64 (or complex).
        n_fft: the FFT size (frame length).
        hop_length: samples between frame starts; default ``n_fft // 4``.
        win_length: the window's length, ``<= n_fft``; the window is centred in the frame
            with zeros around it. Default ``n_fft``.
        window: a 1-D tensor of ``win_length`` samples; default all ones (rectangular).
        center: pad ``n_fft // 2`` samples on both sides so frame ``f`` is centred at
            ``f * hop_length``.
        pad_mode: the padding for ``center``: 'reflect', 'constant', 'replicate', 'circular'.
        normalized: multiply by ``n_fft ** -0.5`` (an orthonormal DFT).
        onesided: keep the ``n_fft // 2 + 1`` non-negative frequencies; default True for real
            input and window, False otherwise.
        return_complex: must be given for real inputs, as in PyTorch: True returns a complex
            tensor; False (deprecated in PyTorch) returns real and imaginary parts in a last
            dimension of size 2.

    Returns:
        (n_freq, n_frames) or (B, n_freq, n_frames), complex64 for float32 input
        (complex128 for float64); ``n_frames = 1 + (T_padded - n_fft) // hop_length``.

    Example:
        >>> x = ember.randn(1000)
        >>> ember.stft(x, 64, window=ember.hann_window(64), return_complex=True).shape
        ember.Size([33, 63])
    """
    _check_float("stft", input)
    complex_in = input._data.dtype.kind == "c" or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release."
            )
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, got shape {list(input.shape)}")
    if pad_mode not in _NP_PAD:
        raise NotImplementedError(f"stft: Unrecognised padding mode {pad_mode}")
    if onesided is None:
        onesided = not complex_in
    elif onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    hop, win_length = _resolve_hop_win("stft", n_fft, hop_length, win_length)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    length = x.shape[1]
    pad = n_fft // 2 if center else 0
    if center and pad:
        limit = {"reflect": length - 1, "circular": length}.get(pad_mode, math.inf)
        if pad > limit or length == 0:
            raise RuntimeError(
                f"stft: center=True pads {pad} samples in mode '{pad_mode}', which needs a "
                f"signal of at least {pad + (pad_mode == 'reflect')} samples, got {length}; "
                f"use a shorter n_fft, center=False or pad_mode='constant'"
            )
    if not 0 < n_fft <= length + 2 * pad:
        raise RuntimeError(
            f"stft: expected 0 < n_fft <= {length + 2 * pad} (the padded signal length), but "
            f"got n_fft={n_fft}"
        )
    w = _window_array("stft", window, n_fft, win_length, x._data)
    plan = _Plan(n_fft=n_fft, hop=hop, window=w, center=center, pad_mode=pad_mode,
                 normalized=bool(normalized), onesided=bool(onesided),
                 real_signal=x._data.dtype.kind != "c", signal_length=length,
                 n_frames=1 + (length + 2 * pad - n_fft) // hop, length=None,
                 dtype=x._data.dtype)
    if STATE.enabled and window is not None and window.requires_grad:
        if window.is_complex():
            # Deliberate gap: the window-gradient path handles real windows only.
            raise NotImplementedError(
                "stft: gradients with respect to a complex window are not implemented; pass "
                "window.detach() or a real window"
            )
        out = _stft_with_window_grad(x, window, plan)
    else:
        out = _Stft.apply(x, plan)
    if input.ndim == 1:
        out = out.reshape(out.shape[1:])
    if not return_complex:
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise "
            "an error.", UserWarning, stacklevel=2,
        )
        from .join import stack

        out = stack([out.real, out.imag], dim=-1)
    return out


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """The inverse short-time Fourier transform: inverse FFT of each frame, windowed
    overlap-add, divided by the overlap-added squared window (least-squares inversion).

    ``istft(stft(x, ...), ...) == x`` for the same parameters when the window satisfies the
    nonzero-overlap-add (NOLA) condition, e.g. a Hann window with ``hop_length <= n_fft / 2``.

    Args:
        input: a complex spectrum, (n_freq, n_frames) or (B, n_freq, n_frames).
        n_fft, hop_length, win_length, window, center, normalized: as given to :func:`stft`.
        onesided: whether ``input`` holds ``n_fft // 2 + 1`` bins; default inferred from the
            input (``n_freq != n_fft``).
        length: trim or zero-pad the output to this many samples (e.g. the original length).
        return_complex: return the complex signal (needs a two-sided input).

    Returns:
        (length,) or (B, length); float32 for complex64 input.

    Raises:
        RuntimeError: if the window's overlap-add envelope is (nearly) zero somewhere in the
            output (NOLA violated).
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with "
            "return_complex=True."
        )
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"istft: expected a tensor with 2 or 3 dimensions of complex values, got shape "
            f"{list(input.shape)}"
        )
    hop, win_length = _resolve_hop_win("istft", n_fft, hop_length, win_length)
    z = input if input.ndim == 3 else input.reshape((1,) + tuple(input.shape))
    n_freq, n_frames = z.shape[1], z.shape[2]
    if onesided is None:
        onesided = n_freq != n_fft
    if return_complex and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    expected = n_fft // 2 + 1 if onesided else n_fft
    if n_freq != expected:
        raise RuntimeError(
            f"istft: expected the frequency dimension (3rd to the last) of the input tensor to "
            f"match {'n_fft / 2 + 1' if onesided else 'n_fft'} = {expected} when "
            f"onesided={bool(onesided)}, but got {n_freq}"
        )
    if window is not None and window.is_complex():
        # Deliberate gap: PyTorch accepts complex windows with return_complex=True.
        raise NotImplementedError("istft: complex windows are not supported; use a real window")
    w = _window_array("istft", window, n_fft, win_length, z._data)
    plan = _Plan(n_fft=n_fft, hop=hop, window=w, center=center, pad_mode="constant",
                 normalized=bool(normalized), onesided=bool(onesided),
                 real_signal=not return_complex, signal_length=None, n_frames=n_frames,
                 length=None if length is None else int(length), dtype=None)
    xp = xp_of(w)
    full, start, end, envelope = _istft_parts(plan, xp, np.float64)
    if envelope.size and float(xp.abs(envelope).min()) < 1e-11:
        raise RuntimeError(
            f"istft: the window overlap-add is zero (min {float(xp.abs(envelope).min()):g}) "
            f"inside the output, so the signal cannot be recovered (NOLA violated); use a "
            f"window that overlaps, a smaller hop_length, or center=True"
        )
    if end > full:
        warnings.warn(
            "The length of signal is shorter than the length parameter. Result is being padded "
            "with zeros in the tail. Please check your center and hop_length settings.",
            UserWarning, stacklevel=2,
        )
    out = _Istft.apply(z, plan)
    return out.reshape(out.shape[1:]) if input.ndim == 2 else out


# ---------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------


def _window(name, window_length, periodic, dtype, device, requires_grad, formula):
    """A window from ``formula(n, N)`` with ``n = 0..N-1`` in float64 (N = length + 1 when
    periodic: the periodic window is the symmetric one of one more sample, minus its last)."""
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    dtype = dt.get_default_dtype() if dtype is None else dt.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype.name}")
    np_dtype, xp, _ = _target(dtype, device)
    if window_length <= 1:
        return _finish(xp.ones(window_length, dtype=np_dtype), requires_grad)
    size = window_length + 1 if periodic else window_length
    values = formula(xp, xp.arange(size, dtype=np.float64), size)[:window_length]
    return _finish(values.astype(np_dtype), requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))``.

    Args:
        window_length: the number of samples.
        periodic: True (default) gives the window for spectral analysis (one period of a
            periodic function, as ``stft`` wants); False the symmetric one (filter design).
        dtype, device, requires_grad: as for the creation functions (floating dtypes only).

    Example:
        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n, N: 0.5 - 0.5 * xp.cos(2 * math.pi * n / (N - 1)))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """The Hamming window ``alpha - beta cos(2 pi n / (N - 1))``; args as :func:`hann_window`."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n, N: alpha - beta * xp.cos(2 * math.pi * n / (N - 1)))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N-1)) + 0.08 cos(4 pi n / (N-1))``;
    args as :func:`hann_window`."""
    def formula(xp, n, N):
        phase = 2 * math.pi * n / (N - 1)
        return 0.42 - 0.5 * xp.cos(phase) + 0.08 * xp.cos(2 * phase)

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window ``1 - |2n / (N - 1) - 1|``; args as
    :func:`hann_window`."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n, N: 1 - xp.abs(2 * n / (N - 1) - 1))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None,
                  layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window ``I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)``.

    Args:
        beta: the shape parameter (larger: a wider main lobe, lower side lobes).
        Others as :func:`hann_window`.
    """
    def formula(xp, n, N):
        ratio = 2 * n / (N - 1) - 1
        return xp.i0(beta * xp.sqrt(xp.clip(1 - ratio * ratio, 0, None))) / xp.i0(
            xp.asarray(float(beta)))

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


register_methods(stft=stft, istft=istft)
