"""``ModelOutput``: the base of the output records of the Hugging Face style models
(``transformers.utils.ModelOutput``), shared by embertext and emberaudio.

Subclasses are dataclasses (``@dataclass(repr=False, eq=False)``) whose fields default to None.
Fields that are None are left out of the tuple view, so ``out[0]`` is always the first computed
field (``last_hidden_state`` or ``logits``, or ``loss`` when labels were given)::

    out = model(input_ids)
    out.last_hidden_state is out["last_hidden_state"] is out[0]
    hidden, pooled = out[:2]

Re-exported by :mod:`ember.utils.pretrained`.
"""

from __future__ import annotations

from dataclasses import fields

__all__ = ["ModelOutput"]


class ModelOutput:
    """Base of the output dataclasses: indexable by field name, integer or slice (over the
    fields that are not None), iterable over those values, convertible with :meth:`to_tuple`.

    Example::

        @dataclass(repr=False, eq=False)
        class Out(ModelOutput):
            loss: object = None
            logits: object = None

        Out(logits=x)[0] is x          # loss is None, so it is left out
        Out(logits=x).keys() == ["logits"]
    """

    def to_tuple(self) -> tuple:
        """The values of the fields that are not None, in declaration order."""
        return tuple(v for v in (getattr(self, f.name) for f in fields(self)) if v is not None)

    def keys(self) -> list[str]:
        """Names of the fields that are not None."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def values(self) -> list:
        """Values of the fields that are not None (as :meth:`to_tuple`, as a list)."""
        return [getattr(self, k) for k in self.keys()]

    def items(self) -> list[tuple]:
        """``(name, value)`` pairs of the fields that are not None."""
        return [(k, getattr(self, k)) for k in self.keys()]

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(f"{type(self).__name__} has no field {key!r} set; "
                               f"set fields: {self.keys()}")
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key) -> bool:
        return key in self.keys()

    def __iter__(self):
        return iter(self.to_tuple())

    def __len__(self) -> int:
        return len(self.to_tuple())

    def __repr__(self) -> str:
        # Tensors print as their shape: a full hidden-state dump would bury the structure.
        inner = ", ".join(f"{k}={getattr(v, 'shape', v)!s}" for k, v in self.items())
        return f"{type(self).__name__}({inner})"
