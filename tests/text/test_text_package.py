"""The text package installs on its own, next to ember, and imports."""

import importlib


def test_imports_with_version():
    module = importlib.import_module("embertext")
    assert module.__version__ == "0.1.0"
    import ember

    assert ember.__version__ == "0.1.0"
