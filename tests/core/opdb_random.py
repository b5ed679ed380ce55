"""Op table entries for ember.ops.random (see opinfo.py)."""

OPS: list = []
