"""``ember.nn``: modules, parameters, layers, losses, initialisation and utilities."""

from . import functional, init, utils
from .modules import *
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
