"""Op table entries for ember.ops.index (see opinfo.py)."""

OPS: list = []
