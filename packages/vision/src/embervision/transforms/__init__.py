"""Image transforms with torchvision's API: ``embervision.transforms``.

Every transform works on PIL images and on ember Tensor images (``[..., C, H, W]``), and draws
its randomness from Ember's generator only, so ``ember.manual_seed`` makes a pipeline
reproducible.

Example:
    >>> from embervision import transforms as T
    >>> pipeline = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
    ...                       T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
"""

from . import functional
from .autoaugment import *
from .functional import InterpolationMode
from .transforms import *
