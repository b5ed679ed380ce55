"""LeNet-5-style CNN for 28x28 grayscale images (Ember's own; torchvision has no LeNet).

After LeCun et al., "Gradient-based learning applied to document recognition" (1998), with
the modern substitutions (ReLU for the scaled tanh, max-pooling for the trainable subsampling,
a full C3 connection table). Layout and state_dict keys (10 classes: 61,706 parameters)::

    features.0  Conv2d(1, 6, 5, padding=2)  (N, 1, 28, 28) -> (N, 6, 28, 28)   weight (6, 1, 5, 5)
    features.1  ReLU
    features.2  MaxPool2d(2)                -> (N, 6, 14, 14)
    features.3  Conv2d(6, 16, 5)            -> (N, 16, 10, 10)                weight (16, 6, 5, 5)
    features.4  ReLU
    features.5  MaxPool2d(2)                -> (N, 16, 5, 5)
    classifier.0  Linear(400, 120)                                            weight (120, 400)
    classifier.1  ReLU
    classifier.2  Linear(120, 84)                                             weight (84, 120)
    classifier.3  ReLU
    classifier.4  Linear(84, num_classes)                                     weight (C, 84)

The padding of 2 on the first convolution gives the 28x28 MNIST digits the 32x32 receptive
field of the original network. Parameters keep PyTorch's default initialisation.
"""

from typing import Any

import ember
from ember import Tensor, nn

from ._api import WeightsEnum, register_model

__all__ = ["LeNet", "LeNet_Weights", "lenet"]


class LeNet(nn.Module):
    """LeNet-5-style classifier for ``(N, 1, 28, 28)`` images (MNIST, Fashion-MNIST).

    Args:
        num_classes: outputs of the last layer. Default: 10.

    Shape:
        - Input: ``(N, 1, 28, 28)``.
        - Output: ``(N, num_classes)``.

    Example:
        >>> LeNet()(ember.randn(2, 1, 28, 28)).shape
        ember.Size([2, 10])
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(
                f"LeNet: expected input of shape (N, 1, 28, 28), got {tuple(x.shape)}"
            )
        return self.classifier(ember.flatten(self.features(x), 1))


class LeNet_Weights(WeightsEnum):
    """No pretrained LeNet checkpoint is published: the enum has no members (train it in
    seconds on Fashion-MNIST instead); it exists so the registry API works for ``lenet``."""


@register_model()
def lenet(*, weights: LeNet_Weights | None = None, progress: bool = True,
          **kwargs: Any) -> LeNet:
    """LeNet-5-style CNN for 28x28 grayscale images (see :class:`LeNet` for the layout).

    Args:
        weights: must be None (no pretrained weights exist).
        progress: unused; accepted for the common builder signature.
        **kwargs: passed to :class:`LeNet` (``num_classes``).

    Example:
        >>> model = lenet(num_classes=10)
    """
    weights = LeNet_Weights.verify(weights)
    return LeNet(**kwargs)
