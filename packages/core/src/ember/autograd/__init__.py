"""Automatic differentiation: the graph engine, grad modes, custom Functions, gradient checks.

``ember.autograd.grad`` and ``Tensor.backward`` walk the graph recorded by the forward pass;
``Function`` is the mechanism every built-in op uses and the way to write custom ones.
"""

from . import functional
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "grad",
    "detect_anomaly",
    "set_detect_anomaly",
    "enable_grad",
    "functional",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_grad_enabled",
]


def _as_list(x):
    from .._tensor import Tensor

    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    from .engine import run_backward

    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=_as_list(inputs),
                 accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input).

    Unlike ``backward`` nothing is accumulated into ``.grad``. With ``create_graph=True`` the
    result is itself differentiable (gradient penalties, Hessian-vector products).

    Example:
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
        >>> ember.autograd.grad(g, x)                                  # 6x = 18
        (tensor(18.),)
    """
    from .engine import run_backward

    outputs = _as_list(outputs)
    inputs_list = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_list,
                          allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from ..ops.creation import zeros_like

        result = tuple(zeros_like(x) if g is None else g for g, x in zip(result, inputs_list))
    return result
