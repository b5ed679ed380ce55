"""Helpers shared by the model builders (torchvision's ``models/_utils.py``)."""

from typing import Any

__all__: list[str] = []


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    """Set ``kwargs[param] = new_value``, or check that the caller's value agrees.

    Pretrained weights fix some constructor arguments (``num_classes`` = the number of
    categories the checkpoint was trained on); asking for another value together with those
    weights is an error, as in torchvision (whose spelling of the name is kept).

    Raises:
        ValueError: ``kwargs[param]`` is set to something else, e.g. ``The parameter
            'num_classes' expected value 1000 but got 10 instead.``
    """
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(
                f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} "
                f"instead."
            )
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param: str, actual: Any, expected: Any) -> Any:
    """Return ``expected`` when ``actual`` is None or equal to it, else raise like the above."""
    if actual is not None and actual != expected:
        raise ValueError(
            f"The parameter '{param}' expected value {expected} but got {actual} instead."
        )
    return expected


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count ``v`` to the nearest multiple of ``divisor`` (at least
    ``min_value``, default ``divisor``) without going more than 10% below ``v``; the rule of
    the original TensorFlow MobileNet code, which torchvision's mobile models follow."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # rounding down by more than 10%: go one step up
        new_v += divisor
    return new_v


def _inception_with_weights(model_cls: type, weights: Any, progress: bool,
                            kwargs: dict[str, Any], aux_heads: tuple[str, ...],
                            aux_default: bool) -> tuple[Any, bool]:
    """Build ``model_cls(**kwargs)`` (GoogLeNet / Inception3) and load ``weights``, the way
    torchvision's ``googlenet`` and ``inception_v3`` do.

    With weights, ``transform_input`` defaults to True (the checkpoints were ported from
    TensorFlow, which normalised differently), the model is built with its auxiliary heads
    (the checkpoints hold them) and without initialisation, and ``num_classes`` must match
    the checkpoint; after loading, the heads named in ``aux_heads`` are dropped unless the
    caller asked for ``aux_logits`` (default ``aux_default``).

    Returns:
        ``(model, wants_aux)``: ``wants_aux`` is the caller's ``aux_logits``, so a builder
        can add its own note (googlenet warns that its heads are untrained).

    Raises:
        ValueError: ``aux_logits``/``init_weights``/``num_classes`` given with a value the
            weights rule out (see :func:`_ovewrite_named_param`).
    """
    wants_aux = kwargs.get("aux_logits", aux_default)
    if weights is not None:
        if "transform_input" not in kwargs:
            _ovewrite_named_param(kwargs, "transform_input", True)
        _ovewrite_named_param(kwargs, "aux_logits", True)
        _ovewrite_named_param(kwargs, "init_weights", False)
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = model_cls(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if not wants_aux:
            model.aux_logits = False
            for name in aux_heads:
                setattr(model, name, None)
    return model, wants_aux
