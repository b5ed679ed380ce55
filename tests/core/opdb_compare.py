"""Op table entries for ember.ops.compare (see opinfo.py)."""

OPS: list = []
