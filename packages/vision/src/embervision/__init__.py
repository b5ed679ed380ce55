"""embervision: datasets, transforms and pretrained image models for Ember (torchvision's API).

    import embervision as torchvision
"""

__version__ = "0.1.0"

from . import datasets  # noqa: E402
