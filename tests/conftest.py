"""Shared fixtures: every test starts from the same seeds."""

import random

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed():
    import ember

    random.seed(0)
    np.random.seed(0)
    ember.manual_seed(0) if hasattr(ember, "manual_seed") else None
    yield
