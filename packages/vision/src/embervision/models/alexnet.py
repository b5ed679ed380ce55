"""AlexNet (torchvision's ``models/alexnet.py``): the "One weird trick" variant.

Krizhevsky, "One weird trick for parallelizing convolutional neural networks" (2014), the
single-GPU simplification of the 2012 network. Module layout and state_dict keys are
torchvision's: ``features.{0,3,6,8,10}`` convolutions, ``classifier.{1,4,6}`` linear layers.
"""

from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet: five convolutions, then three fully connected layers with dropout.

    Parameters keep PyTorch's default initialisation (as torchvision: no custom init).

    Args:
        num_classes: outputs of the last layer. Default: 1000.
        dropout: dropout probability before the first two linear layers. Default: 0.5.

    Shape:
        - Input: ``(N, 3, H, W)`` with ``H, W >= 63`` (the smallest size the three max-pools
          accept); an adaptive pool makes the classifier input 256x6x6 for any larger size.
        - Output: ``(N, num_classes)``.

    Example:
        >>> AlexNet(num_classes=10)(ember.randn(1, 3, 64, 64)).shape
        ember.Size([1, 10])
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"AlexNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


class AlexNet_Weights(WeightsEnum):
    """AlexNet ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            "num_params": 61100840,
            "min_size": (63, 63),
            "categories": _IMAGENET_CATEGORIES,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
                      "#alexnet-and-vgg",
            "_metrics": {"ImageNet-1K": {"acc@1": 56.522, "acc@5": 79.066}},
            "_ops": 0.714,
            "_file_size": 233.087,
            "_docs": "These weights reproduce closely the results of the paper using a "
                     "simplified training recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def alexnet(*, weights: AlexNet_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> AlexNet:
    """AlexNet (the "One weird trick" variant, as torchvision).

    Args:
        weights: an :class:`AlexNet_Weights` member, its name as a string, or None.
            With weights, ``num_classes`` must be left out or equal 1000.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`AlexNet` (``num_classes``, ``dropout``).

    Example:
        >>> model = alexnet(weights=None, num_classes=10)
    """
    weights = AlexNet_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = AlexNet(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
