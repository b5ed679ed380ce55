"""embervision: datasets, transforms and pretrained image models for Ember (torchvision's API).

    import embervision as torchvision
"""

__version__ = "0.1.0"

from . import datasets, io, models, ops, transforms, utils  # noqa: E402
