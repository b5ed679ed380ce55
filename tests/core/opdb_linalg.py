"""Op table entries for ember.ops.linalg (see opinfo.py)."""

OPS: list = []
