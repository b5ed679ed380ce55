"""Flatten parameters into one vector and back (``parameters_to_vector`` /
``vector_to_parameters``), e.g. for second-order methods or evolution strategies."""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_device):
    # every parameter must live on the same device as the first one
    if old_device is None:
        return param.device
    if param.device != old_device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return old_device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the parameters, each flattened, into one 1-d tensor (a copy).

    Differentiable: gradients flow back to the parameters.

    Example:
        >>> vec = nn.utils.parameters_to_vector(model.parameters())
        >>> vec.shape   # (total number of elements,)
    """
    from ...ops.join import cat

    device = None
    flat = []
    for param in parameters:
        device = _check_param_device(param, device)
        flat.append(param.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter at its slice of ``vec`` (shaped like the parameter).

    As in PyTorch (``param.data = vec[a:b].view_as(param).data``), the parameters then share
    ``vec``'s memory: later changes to ``vec`` show in them.

    Args:
        vec: a 1-d tensor with at least as many elements as the parameters hold together.
        parameters: the parameters to fill, in the order used by :func:`parameters_to_vector`.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.dim() != 1 or vec.numel() < needed:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-d vector of at least {needed} elements for "
            f"the {len(parameters)} parameters, got shape {list(vec.shape)}"
        )
    device = None
    pointer = 0
    data = vec._data
    for param in parameters:
        device = _check_param_device(param, device)
        n = param.numel()
        param._data = data[pointer : pointer + n].reshape(param._data.shape)
        pointer += n
