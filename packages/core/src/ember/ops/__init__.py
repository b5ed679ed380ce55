"""Ember's operations, one module per family. Each op is one ``autograd.Function``; the
public function and the Tensor method of the same name are the same code."""

from . import (
    arith,
    compare,
    convert,
    creation,
    index,
    join,
    linalg,
    matrix,
    norm,
    random,
    reduce,
    reorder,
    scan,
    scatter,
    shape,
    sorting,
    spectral,
    stats,
    unary,
)
