"""emberaudio: part of the Ember deep-learning framework (being built)."""

__version__ = "0.1.0"
