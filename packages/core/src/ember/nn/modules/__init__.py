"""Layers, one file per family."""

from .activation import *
from .adaptive import *
from .compat import *
from .container import *
from .conv import *
from .distance import *
from .dropout import *
from .flatten import *
from .fractional import *
from .lazy import *
from .linear import *
from .loss import *
from .module import *
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .upsampling import *
