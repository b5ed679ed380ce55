"""Op table entries for ember.ops.reduce (see opinfo.py)."""

OPS: list = []
