"""Utilities: data loading (ember.utils.data) and models in the Hugging Face folder layout
(ember.utils.pretrained, imported on use)."""

from . import data
