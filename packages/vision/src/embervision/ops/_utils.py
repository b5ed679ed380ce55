"""Helpers shared by the RoI operators (torchvision's ``ops/_utils.py``)."""

from __future__ import annotations

import ember
from ember import Tensor

__all__: list[str] = []


def convert_boxes_to_roi_format(boxes: list[Tensor]) -> Tensor:
    """Turn per-image box lists ``[Tensor[L_i, 4], ...]`` into one ``Tensor[K, 5]`` whose
    first column is the image index ``i``."""
    ids = [ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    return ember.cat([ember.cat(ids, dim=0), ember.cat(list(boxes), dim=0)], dim=1)


def check_roi_boxes_shape(boxes, op: str) -> None:
    """torchvision's check (an ``AssertionError``, as its ``torch._assert``), naming the op
    and the shape received."""
    if isinstance(boxes, (list, tuple)):
        for i, b in enumerate(boxes):
            if not isinstance(b, Tensor) or b.ndim != 2 or b.shape[1] != 4:
                shape = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
                raise AssertionError(
                    f"{op}: The shape of the tensor in the boxes list is not correct as "
                    f"List[Tensor[L, 4]]: boxes[{i}] has shape {shape}"
                )
    elif isinstance(boxes, Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise AssertionError(
                f"{op}: The boxes tensor shape is not correct as Tensor[K, 5] (batch index, "
                f"x1, y1, x2, y2): got {tuple(boxes.shape)}"
            )
    else:
        raise AssertionError(
            f"{op}: boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]], got "
            f"{type(boxes).__name__}"
        )


def rois_array(input: Tensor, boxes, op: str):
    """``boxes`` (Tensor[K, 5] or a list of Tensor[L, 4]) as a float64 (K, 5) array on the
    input's device, after the shape check."""
    check_roi_boxes_shape(boxes, op)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    if rois.device != input.device:
        raise RuntimeError(
            f"{op}: input and boxes must be on the same device, got {input.device} and "
            f"{rois.device}"
        )
    return rois._data.astype("float64")
