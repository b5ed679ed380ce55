"""Op table entries for ember.ops.unary (see opinfo.py)."""

OPS: list = []
