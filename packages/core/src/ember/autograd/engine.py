"""The backward pass: a topological walk of the graph from the outputs to the leaves.

1. From the roots, find every node that can be reached and count, for each one, how many edges
   point into it (its dependencies). With ``inputs`` given, nodes that cannot reach an input are
   pruned and never run.
2. Run nodes whose dependencies are all satisfied: sum the gradients that arrived for each of its
   outputs, call ``backward`` and hand each returned gradient to the input's edge.
3. Gradients reaching leaves are summed per leaf and, once the walk is over, passed through the
   leaf's hooks and accumulated into ``.grad`` (or returned, for ``autograd.grad``).

Backward functions run in grad mode only when ``create_graph=True``; then they record a new
graph and higher-order derivatives come for free.
"""

from __future__ import annotations

from .grad_mode import STATE

__all__ = ["run_backward"]


def _tensor_cls():
    from .. import _tensor

    return _tensor.Tensor


def _ones_like(t):
    from .._tensor import _make

    xp = t._xp()
    return _make(xp.ones(t._data.shape, dtype=t._data.dtype))


def _make_root_grads(tensors, grad_tensors):
    Tensor = _tensor_cls()
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: expected Tensors as outputs, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output {i} has "
                    f"shape {tuple(t.shape)}: pass gradient= of that shape"
                )
            g = _ones_like(t)
        else:
            if not isinstance(g, Tensor):
                from ..ops.creation import tensor as _to_tensor

                g = _to_tensor(g, dtype=t.dtype, device=t.device)
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(t.shape)}."
                )
        roots.append((t, g))
    return roots


def _collect(root_nodes):
    """Every node reachable from ``root_nodes`` with its number of incoming edges."""
    deps = {}
    seen = set()
    stack = list(root_nodes)
    for node in root_nodes:
        seen.add(node)
    while stack:
        node = stack.pop()
        for edge in node._next:
            if type(edge) is tuple:
                child = edge[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return seen, deps


def _prune(nodes, input_nodes, input_leaves):
    """The nodes from which some requested input can be reached."""
    needed = {}

    def reaches(node):
        # iterative post-order DFS with memoisation
        stack = [(node, iter(node._next))]
        path = {node}
        while stack:
            current, edges = stack[-1]
            advanced = False
            for edge in edges:
                if type(edge) is tuple:
                    child = edge[0]
                    if child in needed:
                        if needed[child]:
                            needed[current] = True
                        continue
                    if child in path:
                        continue
                    path.add(child)
                    stack.append((child, iter(child._next)))
                    advanced = True
                    break
                elif edge is not None and id(edge) in input_leaves:
                    needed[current] = True
            if advanced:
                continue
            stack.pop()
            path.discard(current)
            result = needed.get(current, False) or current in input_nodes
            needed[current] = result
            if stack and result:
                needed[stack[-1][0]] = True
        return needed[node]

    for node in nodes:
        if node not in needed:
            reaches(node)
    return {n for n, ok in needed.items() if ok}


def _add(a, b):
    if a is None:
        return b
    return a + b


def _materialize(node, grads):
    from .._tensor import _make

    meta = node._out_meta
    for i, g in enumerate(grads):
        if g is None and meta is not None and meta[i] is not None:
            shape, dtype, xp = meta[i]
            grads[i] = _make(xp.zeros(shape, dtype=dtype))
    return grads


def _check_anomaly(node, grads):
    for i, g in enumerate(grads):
        if g is None:
            continue
        xp = g._xp()
        if g._data.dtype.kind in "fc" and not bool(xp.isfinite(g._data).all()):
            bad = "nan" if bool(xp.isnan(g._data).any()) else "inf"
            where = f"\nThe forward call that created it:\n{node._trace}" if node._trace else ""
            raise RuntimeError(
                f"Function '{node.name()}' returned {bad} values in its {i}th output.{where}"
            )


def _owned(g, seen):
    """``g`` itself if nothing else can see its memory, else a copy (so ``.grad`` never aliases
    another tensor or another parameter's gradient)."""
    from .._device import is_writeable

    data = g._data
    key = id(data)
    if key in seen or data.base is not None or not is_writeable(data):
        from .._tensor import _make

        return _make(data.copy())
    seen.add(key)
    return g.detach() if g.grad_fn is not None else g


def _accumulate_into(tensor, g, create_graph, seen):
    if create_graph:
        tensor.grad = g if tensor.grad is None else tensor.grad + g
        return
    current = tensor.grad
    if current is None:
        tensor.grad = _owned(g, seen)
    elif current.requires_grad or current._data.shape != g._data.shape:
        tensor.grad = (current + g).detach()
    else:
        current._data += g._data


def _run_tensor_hooks(hooks, g):
    for hook in list(hooks):
        result = hook(g)
        if result is not None:
            g = result
    return g


def run_backward(
    tensors,
    grad_tensors,
    retain_graph,
    create_graph,
    inputs=None,
    allow_unused=False,
    accumulate=True,
):
    """Run the backward pass. ``accumulate=True`` fills ``.grad`` (``Tensor.backward``);
    ``accumulate=False`` returns the gradients of ``inputs`` (``autograd.grad``)."""
    roots = _make_root_grads(tensors, grad_tensors)
    seen_data = {id(g._data) for _, g in roots}

    buffers = {}  # node -> [grad per output]
    leaf_grads = {}  # id(leaf) -> [leaf, summed grad]
    root_nodes = []
    for t, g in roots:
        if t.grad_fn is None:
            entry = leaf_grads.setdefault(id(t), [t, None])
            entry[1] = _add(entry[1], g)
            continue
        node = t.grad_fn
        grads = buffers.get(node)
        if grads is None:
            meta = node._out_meta
            grads = buffers[node] = [None] * (len(meta) if meta else 1)
            root_nodes.append(node)
        grads[t._output_nr] = _add(grads[t._output_nr], g)

    nodes, deps = _collect(root_nodes)

    input_leaves = {}
    input_nodes = {}
    if inputs is not None:
        for i, x in enumerate(inputs):
            if x.grad_fn is None:
                if not x.requires_grad:
                    raise RuntimeError(f"grad: input {i} does not require grad")
                input_leaves[id(x)] = i
            else:
                input_nodes.setdefault(x.grad_fn, {})[x._output_nr] = i
        needed = _prune(nodes, input_nodes, input_leaves)
        # recount dependencies among the nodes that will run
        deps = {}
        for node in needed:
            for edge in node._next:
                if type(edge) is tuple and edge[0] in needed:
                    deps[edge[0]] = deps.get(edge[0], 0) + 1
    else:
        needed = nodes

    captured = {}  # input index -> grad (autograd.grad, and backward(inputs=) for non-leaves)
    ready = [n for n in root_nodes if deps.get(n, 0) == 0 and n in needed]
    prev_mode = STATE.enabled
    STATE.enabled = bool(create_graph)
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:
                # Every edge into this node delivered None: nothing flows through it, but the
                # nodes below still wait for it to be accounted for.
                _release(node, retain_graph)
                for edge in node._next:
                    if type(edge) is tuple and edge[0] in needed:
                        child = edge[0]
                        deps[child] -= 1
                        if deps[child] == 0:
                            ready.append(child)
                continue
            grads = _run_node_pre_hooks(node, grads)
            if node in input_nodes:
                for nr, index in input_nodes[node].items():
                    captured[index] = grads[nr]
            if node._materialize_grads:
                grads = _materialize(node, grads)
            results = _call_backward(node, grads)
            _release(node, retain_graph)
            if STATE.anomaly and STATE.anomaly_check_nan:
                _check_anomaly(node, results)
            for edge, g in zip(node._next, results):
                if type(edge) is tuple:
                    child, nr = edge
                    if child not in needed:
                        continue
                    if g is not None:
                        child_grads = buffers.get(child)
                        if child_grads is None:
                            meta = child._out_meta
                            child_grads = buffers[child] = [None] * (len(meta) if meta else 1)
                        child_grads[nr] = _add(child_grads[nr], g)
                    left = deps[child] - 1
                    deps[child] = left
                    if left == 0:
                        ready.append(child)
                elif edge is not None and g is not None:
                    if inputs is not None and id(edge) not in input_leaves:
                        continue
                    entry = leaf_grads.setdefault(id(edge), [edge, None])
                    entry[1] = _add(entry[1], g)

        seen = seen_data
        for leaf, g in leaf_grads.values():
            if g is None:
                continue
            if tuple(g.shape) != tuple(leaf.shape):
                raise RuntimeError(
                    f"backward: the gradient for a leaf of shape {tuple(leaf.shape)} has shape "
                    f"{tuple(g.shape)}"
                )
            if leaf._hooks:
                g = _run_tensor_hooks(leaf._hooks, g)
            if id(leaf) in input_leaves:
                captured[input_leaves[id(leaf)]] = g
                if not accumulate:
                    continue
            if accumulate:
                _accumulate_into(leaf, g, create_graph, seen)
                post = leaf._post_accumulate_hooks
                if post:
                    for hook in list(post):
                        hook(leaf)
    finally:
        STATE.enabled = prev_mode

    if accumulate:
        if inputs is not None:
            seen = seen_data
            for x in inputs:
                if x.grad_fn is not None:
                    index = input_nodes[x.grad_fn][x._output_nr]
                    g = captured.get(index)
                    if g is not None:
                        _accumulate_into(x, g, create_graph, seen)
        return None

    result = []
    for i, x in enumerate(inputs):
        g = captured.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(x.shape)}) was not used in the graph; pass "
                f"allow_unused=True if this is expected"
            )
        if g is not None and not create_graph and g.grad_fn is not None:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _release(node, retain_graph):
    if not retain_graph:
        node._saved = None
        node._released = True


def _run_node_pre_hooks(node, grads):
    hooks = node._pre_hooks
    if hooks:
        for nr, hook_list in hooks.items():
            if nr < len(grads) and grads[nr] is not None:
                grads[nr] = _run_tensor_hooks(hook_list, grads[nr])
    retained = node._retained
    if retained:
        for nr, ref in retained.items():
            t = ref()
            if t is not None and nr < len(grads) and grads[nr] is not None:
                g = grads[nr]
                if STATE.enabled:
                    t.grad = g if t.grad is None else t.grad + g
                else:
                    t.grad = g.detach().clone() if t.grad is None else (t.grad + g).detach()
    if node._node_pre_hooks:
        for hook in list(node._node_pre_hooks):
            result = hook(tuple(grads))
            if result is not None:
                grads = list(result)
    return grads


def _call_backward(node, grads):
    from .._tensor import _make

    results = type(node).backward(node, *grads)
    if type(results) is not tuple:
        results = (results,)
    n_inputs = len(node._next)
    if len(results) != n_inputs:
        if len(results) > n_inputs and all(r is None for r in results[n_inputs:]):
            results = results[:n_inputs]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n_inputs}, got {len(results)})"
            )
    if node._node_hooks:
        for hook in list(node._node_hooks):
            new = hook(results, tuple(grads))
            if new is not None:
                results = tuple(new)
    Tensor = _tensor_cls()
    if any(r is not None and not isinstance(r, Tensor) for r in results):
        results = tuple(
            r if r is None or isinstance(r, Tensor) else _make(r) for r in results
        )
    return results

