"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, parametrizations.

``ember.nn.utils.rnn`` (packed sequences) lives in its own module.
"""

from . import rnn
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters

# isort: split
# These import ember.nn.modules, whose module.py imports this package while it loads: they
# come last, so the names above already exist if a layer module imports them.
from . import parametrizations, parametrize
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
    "weight_norm",
    "remove_weight_norm",
]
