"""Ember: a deep-learning framework with PyTorch's API on NumPy (CPU) and CuPy (GPU).

    import ember as torch      # PyTorch code runs unchanged for what Ember supports

Tensors (``ember.tensor``, ``ember.zeros``...), their operations, automatic differentiation
(``Tensor.backward``, ``ember.autograd``), devices (``'cpu'``, ``'cuda'``), and PyTorch's dtypes
and type-promotion rules.
"""

# ruff: noqa: I001  (order matters: the ops must be bound before nn, optim... import them)

from . import _dtype
from ._device import device
from ._dtype import *  # noqa: F403  (dtypes: ember.float32, ember.int64, ...)
from ._tensor import Size, Tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops.arith import *  # noqa: F403
from .ops.compare import *  # noqa: F403
from .ops.convert import *  # noqa: F403
from .ops.creation import *  # noqa: F403
from .ops.index import *  # noqa: F403
from .ops.join import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.matrix import *  # noqa: F403
from .ops.norm import *  # noqa: F403
from .ops.numeric_extra import *  # noqa: F403
from .ops.random import *  # noqa: F403
from .ops.reduce import *  # noqa: F403
from .ops.reorder import *  # noqa: F403
from .ops.scan import *  # noqa: F403
from .ops.scatter import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.spectral import *  # noqa: F403
from .ops.sorting import *  # noqa: F403
from .ops.stats import *  # noqa: F403
from .ops.unary import *  # noqa: F403
from .ops.view_extra import *  # noqa: F403

from .serialization import *  # noqa: F403

from . import accelerator, autograd, cuda, hub, linalg, metrics, nn, optim, utils  # noqa: E402
from . import amp, cpu  # noqa: E402
from .cuda import amp as _cuda_amp  # noqa: E402, F401  (binds ember.cuda.amp)
from ._settings import *  # noqa: E402, F403
from .amp import GradScaler, autocast  # noqa: E402
from .ops.linalg_legacy import *  # noqa: E402, F403
from .nn.functional._distance import cdist, cosine_similarity, pairwise_distance, pdist  # noqa: E402

# The nn.functional entries PyTorch also offers at top level (torch.softmax, torch.dropout...).
from .nn.functional import (  # noqa: E402
    celu,
    log_softmax,
    prelu,
    rrelu,
    selu,
    softmax,
    threshold,
)
from .ops.nn_aliases import *  # noqa: E402, F403  (torch.conv2d, torch.batch_norm: ATen forms)

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an Ember tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def numel(input: Tensor) -> int:
    return input.numel()
