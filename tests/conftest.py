"""Shared fixtures, loaded for every package's tests: every test starts from the same seeds;
``device`` runs a test on "cpu" and on "cuda" when available (helpers in ``_devices.py``)."""

import random

import numpy as np
import pytest
from _devices import DEVICES


@pytest.fixture(autouse=True)
def _seed():
    import ember

    random.seed(0)
    np.random.seed(0)
    ember.manual_seed(0) if hasattr(ember, "manual_seed") else None
    yield


@pytest.fixture(params=DEVICES)
def device(request):
    """The device a ``test_on_devices`` test runs on: "cpu", then "cuda" (marked ``cuda``;
    skipped when ``ember.cuda.is_available()`` is False). tests/core has its own."""
    import ember

    if request.param == "cuda" and not ember.cuda.is_available():
        pytest.skip("CUDA is not available (ember.cuda.is_available() is False)")
    return request.param
