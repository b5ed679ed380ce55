"""Op table entries for ember.ops.shape (see opinfo.py)."""

OPS: list = []
