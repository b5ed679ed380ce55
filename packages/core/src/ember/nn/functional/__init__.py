"""``ember.nn.functional``: the functional form of every layer.

    import ember.nn.functional as F


The functions live in one private module per family and are re-exported here.
"""

from ._activation import *
from ._attention import *
from ._conv import *
from ._distance import *
from ._dropout import *
from ._fractional import *
from ._linear import *
from ._loss import *
from ._normalization import *
from ._pooling import *
from ._rnn import *
from ._sparse import *
from ._vision import *
