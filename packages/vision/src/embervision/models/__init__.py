"""Image classification architectures with torchvision's names, layouts and weights.

``import embervision as torchvision; torchvision.models.resnet50(weights="DEFAULT")`` builds
the same module tree as torchvision (identical state_dict keys and shapes, so its published
checkpoints load with ``strict=True``) and downloads the same checkpoint through
:mod:`ember.hub`. The registry finds builders by name::

    from embervision import models
    models.list_models(include="resnet*")
    model = models.get_model("resnet18", weights="DEFAULT")
    preprocess = models.get_weight("ResNet18_Weights.IMAGENET1K_V1").transforms()

Fine-tuning works as in torchvision: freeze the backbone with ``requires_grad_(False)`` and
replace the head (``model.fc = nn.Linear(model.fc.in_features, 10)``).
"""

from . import _api
from ._api import *
from ._presets import ImageClassification, InterpolationMode
from .alexnet import *
from .convnext import *
from .densenet import *
from .efficientnet import *
from .googlenet import *
from .inception import *
from .lenet import *
from .maxvit import *
from .mnasnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .regnet import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .swin_transformer import *
from .vgg import *
from .vision_transformer import *
