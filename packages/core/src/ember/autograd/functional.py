"""Higher-level derivatives built on ``autograd.grad``: ``vjp``, ``jvp``, ``jacobian``,
``hessian``, ``hvp`` and ``vhp`` (``torch.autograd.functional``).

``jvp`` uses the double-vjp trick: for ``g(u) = J^T u`` (linear in ``u``), ``J v`` is the gradient
of ``<g(u), v>`` with respect to ``u``. It needs backward functions that are themselves
differentiable, which every Ember op provides.
"""

from __future__ import annotations

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x):
    from .._tensor import Tensor

    if isinstance(x, Tensor):
        return (x,), True
    return tuple(x), False


def _prepare(inputs, create_graph):
    """Fresh leaves that require grad, sharing the inputs' values."""
    out = []
    for x in inputs:
        y = x.detach() if not create_graph else x
        if not y.requires_grad:
            y = y.detach().requires_grad_(True)
        out.append(y)
    return tuple(out)


def _grad(outputs, inputs, grad_outputs, create_graph):
    from ..ops.creation import zeros_like
    from . import grad

    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not outs:
        return tuple(zeros_like(x) for x in inputs)
    grads = grad(outs, inputs, gos, create_graph=True, retain_graph=True, allow_unused=True)
    result = []
    for x, g in zip(inputs, grads):
        g = zeros_like(x) if g is None else g
        result.append(g if create_graph else g.detach())
    return tuple(result)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product.

    Example:
        >>> x = ember.tensor([1.0, 2.0])
        >>> ember.autograd.functional.vjp(lambda x: x ** 2, x, ember.ones(2))[1]
        tensor([2., 4.])
    """
    from ..ops.creation import ones_like

    inputs_t, single_in = _tuple(inputs)
    xs = _prepare(inputs_t, create_graph)
    outputs = func(*xs)
    outputs_t, single_out = _tuple(outputs)
    if v is None:
        if len(outputs_t) != 1 or outputs_t[0].numel() != 1:
            raise RuntimeError("vjp: v can only be None when func returns a single-element tensor")
        v_t = (ones_like(outputs_t[0]),)
    else:
        v_t, _ = _tuple(v)
    grads = _grad(outputs_t, xs, v_t, create_graph)
    outs = tuple(o if create_graph else o.detach() for o in outputs_t)
    return (outs[0] if single_out else outs), (grads[0] if single_in else grads)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: a Jacobian-vector product (double-vjp trick)."""
    from ..ops.creation import ones_like, zeros_like

    inputs_t, single_in = _tuple(inputs)
    xs = _prepare(inputs_t, True)
    outputs = func(*xs)
    outputs_t, single_out = _tuple(outputs)
    if v is None:
        if len(inputs_t) != 1 or inputs_t[0].numel() != 1:
            raise RuntimeError("jvp: v can only be None when the input is a single-element tensor")
        v_t = (ones_like(inputs_t[0]),)
    else:
        v_t, _ = _tuple(v)
    # g(u) = J^T u, linear in u; d<g(u), v>/du = J v
    us = tuple(zeros_like(o).requires_grad_(True) for o in outputs_t)
    g = _grad(outputs_t, xs, us, True)
    from . import grad

    pairs = [(gi, vi) for gi, vi in zip(g, v_t) if gi.requires_grad]
    if pairs:
        jv = grad([p[0] for p in pairs], us, [p[1] for p in pairs], create_graph=create_graph,
                  allow_unused=True)
    else:
        jv = (None,) * len(us)
    jv = tuple(zeros_like(o) if r is None else (r if create_graph else r.detach())
               for o, r in zip(outputs_t, jv))
    outs = tuple(o if create_graph else o.detach() for o in outputs_t)
    return (outs[0] if single_out else outs), (jv[0] if single_out else jv)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape``.

    With several inputs (or outputs), a tuple (of tuples) of Jacobians.
    """
    from ..ops.creation import zeros
    from ..ops.join import stack
    from ..ops.shape import reshape

    inputs_t, single_in = _tuple(inputs)
    xs = _prepare(inputs_t, create_graph)
    outputs = func(*xs)
    outputs_t, single_out = _tuple(outputs)
    from . import grad

    per_output = []
    for out in outputs_t:
        flat = reshape(out, (-1,))
        rows = [[] for _ in xs]
        for k in range(flat.numel()):
            if out.requires_grad:
                gs = grad(flat[k], xs, retain_graph=True, create_graph=create_graph,
                          allow_unused=True)
            else:
                gs = (None,) * len(xs)
            for i, (x, g) in enumerate(zip(xs, gs)):
                if g is None:
                    g = zeros(x.shape, dtype=x.dtype, device=x.device)
                rows[i].append(g if create_graph else g.detach())
        jac = []
        for x, r in zip(xs, rows):
            if r:
                j = reshape(stack(r), tuple(out.shape) + tuple(x.shape))
            else:
                j = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
            jac.append(j)
        per_output.append(jac[0] if single_in else tuple(jac))
    return per_output[0] if single_out else tuple(per_output)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: shape ``input.shape + input.shape``."""
    inputs_t, single_in = _tuple(inputs)

    def gradient(*xs):
        from . import grad

        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("hessian: func must return a single-element tensor")
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        from ..ops.creation import zeros_like

        gs = tuple(zeros_like(x) if g is None else g for x, g in zip(xs, gs))
        return gs[0] if single_in else gs

    return jacobian(gradient, inputs_t[0] if single_in else inputs_t, create_graph=create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func`` (H is symmetric, so this equals vhp)."""
    return vhp(func, inputs, v, create_graph, strict)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: two reverse passes."""
    from ..ops.creation import zeros_like
    from . import grad

    inputs_t, single_in = _tuple(inputs)
    xs = _prepare(inputs_t, True)
    out = func(*xs)
    if out.numel() != 1:
        raise RuntimeError("vhp: func must return a single-element tensor")
    v_t, _ = _tuple(v) if v is not None else ((None,), True)
    gs = grad(out, xs, create_graph=True, allow_unused=True)
    pairs = [(g, vi) for g, vi in zip(gs, v_t) if g is not None and g.requires_grad]
    if pairs:
        hv = grad([p[0] for p in pairs], xs, [p[1] for p in pairs], create_graph=create_graph,
                  allow_unused=True)
    else:
        hv = (None,) * len(xs)
    hv = tuple(zeros_like(x) if h is None else (h if create_graph else h.detach())
               for x, h in zip(xs, hv))
    value = out if create_graph else out.detach()
    return value, (hv[0] if single_in else hv)
