"""``ember.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as
parametrizations (PyTorch's current API; the state_dict keys are PyTorch's).

The norms are small Functions of their own here (forward on arrays, backward with
differentiable Ember ops), so these two depend only on elementwise arithmetic and reshapes.
"""

from __future__ import annotations

from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops._util import xp_of
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm", "spectral_norm"]


class _NormExceptDim(Function):
    """The 2-norm over every dimension but ``dim`` (kept as size-1 dims); ``dim=-1``: the norm
    of the whole tensor, 0-d (``torch.norm_except_dim``)."""

    @staticmethod
    def forward(ctx, v, dim):
        data = v._data
        xp = xp_of(data)
        if dim == -1:
            out = xp.sqrt((data * data).sum())
        else:
            axes = tuple(a for a in range(data.ndim) if a != dim)
            out = xp.sqrt((data * data).sum(axis=axes, keepdims=True))
        out = _make(xp.asarray(out))
        ctx.save_for_backward(v, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        v, norm = ctx.saved_tensors
        # d||v||/dv = v / ||v|| (broadcast over the reduced dims)
        return grad * v / norm, None


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    return _NormExceptDim.apply(v, dim)


class _WeightNorm(Module):
    """weight = g * v / ||v|| (norm over all dims except ``dim``), Salimans & Kingma (2016)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||``: magnitude and direction learnt
    separately.

    ``g`` and ``v`` live in ``module.parametrizations.<name>.original0`` / ``original1``; old
    checkpoints with ``<name>_g`` / ``<name>_v`` keys (``nn.utils.weight_norm``) still load.

    Args:
        module: the module to modify in place.
        name: the parameter's name.
        dim: the dimension kept by the norm (0: one norm per output channel); ``None``: one
            norm for the whole tensor.

    Returns:
        ``module``.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(mod, state_dict, prefix, *args):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


def _normalize_array(a, eps: float):
    xp = xp_of(a)
    return a / xp.maximum(xp.sqrt((a * a).sum()), eps)


class _Sigma(Function):
    """sigma = uᵀ W v for fixed vectors u, v: the spectral-norm estimate, differentiable in W
    (d sigma / dW = u vᵀ)."""

    @staticmethod
    def forward(ctx, weight_mat, u, v):
        ctx.u, ctx.v = u, v
        data = weight_mat._data
        return xp_of(data).asarray(u @ data @ v, dtype=data.dtype)

    @staticmethod
    def backward(ctx, grad):
        outer = xp_of(ctx.u).outer(ctx.u, ctx.v).astype(ctx.u.dtype)
        return grad * _make(outer), None, None


class _SpectralNorm(Module):
    """weight / sigma(weight), sigma the largest singular value, estimated by power iteration
    on the weight viewed as a matrix (Miyato et al., 2018). ``_u`` and ``_v`` are buffers,
    refined at each forward in training mode."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from ...ops.creation import empty
            from .. import init

            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            kw = {"dtype": weight.dtype, "device": weight.device}
            u = init.normal_(empty(h, **kw))
            v = init.normal_(empty(w, **kw))
            self.register_buffer("_u", _make(_normalize_array(u._data, eps)))
            self.register_buffer("_v", _make(_normalize_array(v._data, eps)))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # in place on the buffers' arrays, outside autograd
        w = weight_mat._data
        u, v = self._u._data, self._v._data
        for _ in range(n_power_iterations):
            u[...] = _normalize_array(w @ v, self.eps)
            v[...] = _normalize_array(w.conj().T @ u, self.eps)
        for buf in (self._u, self._v):
            counter = buf._version_counter
            if counter is not None:
                counter[0] += 1

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            # F.normalize(weight, dim=0, eps): weight / max(||weight||, eps)
            norm = _norm_except_dim(weight, -1)
            return weight / norm if norm.item() > self.eps else weight / self.eps
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            with no_grad():
                self._power_method(weight_mat.detach(), self.n_power_iterations)
        # copies: the next power iteration must not change what this forward used
        u, v = self._u._data.copy(), self._v._data.copy()
        sigma = _Sigma.apply(weight_mat, u, v)
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm (largest singular value), estimated by
    power iteration; used to bound a layer's Lipschitz constant (e.g. GAN discriminators).

    Args:
        module: the module to modify in place.
        name: the weight's name.
        n_power_iterations: power-iteration steps per forward in training mode.
        eps: guards the normalisations against division by zero.
        dim: the output dimension (default 0; 1 for ConvTranspose layers).

    Returns:
        ``module``; its state_dict gains ``parametrizations.<name>.original`` and the
        estimates ``parametrizations.<name>.0._u`` / ``._v``.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        # ConvTranspose weights are (in, out, *kernel): their output dimension is 1
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
