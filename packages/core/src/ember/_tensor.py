"""The Tensor: an n-dimensional array (NumPy or CuPy) plus its place in the autograd graph.

Only the tensor's own state lives here (attributes, conversions, autograd entry points). The
operations are defined once each in ``ember.ops`` and bound to Tensor there, so a method such as
``Tensor.exp`` and the function ``ember.exp`` are the same code.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import _device as _dev
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd.grad_mode import STATE

__all__ = ["Tensor"]

_ndarray = np.ndarray


class Tensor:
    """A multi-dimensional array with automatic differentiation.

    Made with :func:`ember.tensor`, the creation functions (``zeros``, ``randn``...) or by
    operations. The values live in a NumPy array (CPU) or a CuPy array (CUDA); ``.numpy()``
    shares that memory on the CPU.

    Example:
        >>> x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = (
        "_data",
        "requires_grad",
        "grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "_base",
        "_hooks",
        "_post_accumulate_hooks",
        "__weakref__",
    )

    # Tensors decide binary operators with NumPy arrays on the left, too.
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None):
        # The legacy constructor: Tensor(sequence) or Tensor(*sizes); float32 by default.
        from .ops.creation import empty, tensor

        if len(args) == 1 and not isinstance(args[0], int):
            src = tensor(args[0], dtype=dtype or get_default_dtype(), device=device)
        else:
            src = empty(*args, dtype=dtype, device=device)
        _init_from(self, src._data)

    # -- attributes --------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _dev.device:
        return _dev.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not _ndarray

    @property
    def is_cpu(self) -> bool:
        return type(self._data) is _ndarray

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def stride(self, dim: int | None = None):
        """Strides in elements (not bytes), as PyTorch reports them."""
        itemsize = self._data.itemsize
        strides = tuple(s // itemsize for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        data = self._data
        base = data.base if data.base is not None else data
        if self.is_cuda:
            return (data.data.ptr - base.data.ptr) // data.itemsize
        return (data.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // (
            data.itemsize or 1
        )

    def data_ptr(self) -> int:
        if self.is_cuda:
            return int(self._data.data.ptr)
        return int(self._data.__array_interface__["data"][0])

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype == _BF16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        counter = self._version_counter
        return 0 if counter is None else counter[0]

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new Tensor outside the graph (shares memory)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor):
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: expected a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and bool(fn._retained) and self._output_nr in fn._retained

    def _xp(self):
        return np if type(self._data) is _ndarray else _dev.get_array_module(self._data)

    # -- conversion to Python and NumPy ------------------------------------------------------

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array; on the CPU this shares memory with the tensor."""
        if not force:
            if self.requires_grad:
                raise RuntimeError(
                    "Can't call numpy() on Tensor that requires grad. "
                    "Use tensor.detach().numpy() instead."
                )
            if self.is_cuda:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. "
                    f"Use Tensor.cpu() to copy the tensor to host memory first."
                )
        data = self._data
        return data if type(data) is _ndarray else data.get()

    def __array__(self, dtype=None, copy=None):
        data = self._data if type(self._data) is _ndarray else self._data.get()
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        if copy:
            return data.copy()
        return data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        value = self._data.reshape(()).item() if type(self._data) is _ndarray else None
        if value is None:
            value = self._data.get().reshape(()).item()
        if self._data.dtype == _BF16:
            value = float(value)
        return value

    def tolist(self):
        data = self.numpy(force=True)
        if data.dtype == _BF16:
            data = data.astype(np.float32)
        return data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __dlpack__(self, *args, **kwargs):
        if self.requires_grad:
            raise RuntimeError(
                "Can't export a Tensor that requires grad through DLPack; use tensor.detach()"
            )
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __reduce_ex__(self, protocol):
        data = self._data if type(self._data) is _ndarray else self._data.get()
        return (_rebuild, (data, str(self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment"
            )
        if id(self) in memo:
            return memo[id(self)]
        new = _make(self._data.copy())
        new.requires_grad = self.requires_grad
        if self.grad is not None:
            new.grad = _make(self.grad._data.copy())
        memo[id(self)] = new
        return new

    def __repr__(self) -> str:
        from ._format import format_tensor

        return format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    # -- autograd ----------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this tensor (leaves only)."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc" and self._data.dtype != _BF16:
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients, "
                f"got {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A new tensor sharing this one's memory and version, outside the graph."""
        out = _make(self._data)
        if self._version_counter is None:
            self._version_counter = [0]
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError("detach_: cannot detach a view in place; use detach()")
        self.grad_fn = None
        self.requires_grad = False
        return self

    def _shallow_copy(self) -> Tensor:
        out = _make(self._data)
        if self._version_counter is None:
            self._version_counter = [0]
        out._version_counter = self._version_counter
        out._base = self._base if self._base is not None else self
        return out

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return
        if fn._retained is None:
            fn._retained = {}
        fn._retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed.

        Returns a handle with ``remove()``.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _function._RemovableHandle(self._hooks, hook)
        if fn._pre_hooks is None:
            fn._pre_hooks = {}
        hooks = fn._pre_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _function._RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after the gradient has been accumulated into ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return _function._RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self) when ``self`` is not a scalar.
            retain_graph: keep the graph for another backward (defaults to ``create_graph``).
            create_graph: record the backward pass itself, for higher-order derivatives.
            inputs: accumulate only into these tensors.
        """
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not inputs:
                raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
        _engine.run_backward(
            [self], [gradient], retain_graph, create_graph, inputs=inputs, accumulate=True
        )

    # -- devices and dtypes ------------------------------------------------------------------

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``; returns self
        when nothing changes. Differentiable."""
        from .ops.convert import to

        return to(self, *args, **kwargs)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def type(self, dtype=None):
        """With no argument, the type name ('ember.FloatTensor'); else a cast."""
        if dtype is None:
            prefix = "ember.cuda." if self.is_cuda else "ember."
            return prefix + _TYPE_NAMES.get(self.dtype.name, "Tensor")
        return self.to(to_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def bfloat16(self) -> Tensor:
        return self.to(_dt.bfloat16)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def short(self) -> Tensor:
        return self.to(_dt.int16)

    def char(self) -> Tensor:
        return self.to(_dt.int8)

    def byte(self) -> Tensor:
        return self.to(_dt.uint8)

    def bool(self) -> Tensor:
        return self.to(_dt.bool)

    def cfloat(self) -> Tensor:
        return self.to(_dt.complex64)

    def cdouble(self) -> Tensor:
        return self.to(_dt.complex128)


from . import _dtype as _dt  # noqa: E402

_BF16 = _dt.bfloat16.np_dtype
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


_new = object.__new__


def _make(data) -> Tensor:
    """Wrap an array in a Tensor with no graph. The one way ops build their outputs."""
    if type(data) is not _ndarray:
        data = _coerce_array(data)
    t = _new(Tensor)
    t._data = data
    t.requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = None
    t._base = None
    t._hooks = None
    t._post_accumulate_hooks = None
    return t


def _make_view(data, base: Tensor) -> Tensor:
    """Wrap ``data``, a view of ``base``'s memory: the two share a version counter, so an
    in-place change through either one is seen by autograd's saved-tensor check."""
    t = _make(data)
    if base._version_counter is None:
        base._version_counter = [0]
    t._version_counter = base._version_counter
    t._base = base._base if base._base is not None else base
    return t


def _init_from(t: Tensor, data) -> None:
    t._data = data
    t.requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = None
    t._base = None
    t._hooks = None
    t._post_accumulate_hooks = None


def _coerce_array(data):
    """NumPy ufuncs return scalars for 0-d inputs; tensors always hold arrays."""
    if _dev.is_cupy_array(data):
        return data
    if isinstance(data, Tensor):
        return data._data
    return np.asarray(data)


def _rebuild(data, device, requires_grad):
    t = _make(_dev.move_array(data, _dev.to_device(device)))
    t.requires_grad = requires_grad
    return t


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


def check_inplace(t: Tensor, *others, op: str = "in-place operation") -> None:
    """Refuse in-place changes that would corrupt autograd (as PyTorch does).

    An in-place op on a view of a tensor in the graph is allowed (PyTorch's CopySlices): the
    check only makes sure the view can be mapped onto its base, so the op fails before writing
    anything; ``ember.autograd._view_rebase`` then rebases the base's history.
    """
    if not STATE.enabled:
        return
    requires = t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
    if not requires:
        return
    base = t._base
    if t.requires_grad and t.grad_fn is None:
        # PyTorch words it "a view of a leaf" for a view made to require grad, too
        what = "a leaf Variable" if base is None else "a view of a leaf Variable"
        raise RuntimeError(
            f"{op}: {what} that requires grad is being used in an in-place operation."
        )
    if base is not None:
        if base.requires_grad and base.grad_fn is None:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an "
                f"in-place operation."
            )
        from .autograd._view_rebase import view_plan

        view_plan(t, op)  # raises when the view cannot be mapped onto its base


_function._bind_tensor(Tensor, _make)
