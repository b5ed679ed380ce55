"""``ember.return_types``: the registry of named result tuples (``torch.return_types``).

Ops with several outputs (``max(dim)``, ``sort``, ``aminmax``...) return one of these named
tuples; each op module defines the ones it needs with ``return_types.define``.
"""

from __future__ import annotations

from collections import namedtuple

__all__ = ["return_types"]


def _return_type_repr(self) -> str:
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{fields})"


class _ReturnTypes:
    """``ember.return_types``: the named tuples of ops with several outputs (as
    ``torch.return_types``). Each is a tuple: index it, unpack it or read its fields.

    Example:
        >>> values, indices = ember.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        >>> ember.tensor([1.0, 5.0]).max(0).indices
        tensor(1)
    """

    def define(self, name: str, fields: tuple[str, ...]):
        """The named tuple ``ember.return_types.<name>`` with ``fields`` (made once)."""
        existing = self.__dict__.get(name)
        if existing is not None:
            return existing
        cls = namedtuple(name, fields)
        # Found again by pickle through this module's ``return_types`` attribute.
        cls.__module__ = __name__
        cls.__qualname__ = f"return_types.{name}"
        cls.__repr__ = _return_type_repr
        setattr(self, name, cls)
        return cls

    def __repr__(self) -> str:
        return "<ember.return_types>"


return_types = _ReturnTypes()
