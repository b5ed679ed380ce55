"""Optical-flow datasets with torchvision's API: FlyingChairs, FlyingThings3D, Sintel, KittiFlow
and HD1K, and the readers of their flow formats.

Items are ``(img1, img2, flow)`` — two RGB PIL images and the flow from the first to the second
as a float32 NumPy array ``(2, H, W)`` (x then y displacement, in pixels) — or, for datasets
whose files carry a validity mask (KittiFlow, HD1K), ``(img1, img2, flow, valid_flow_mask)``
with a boolean ``(H, W)`` mask. ``flow`` (and the mask) are ``None`` on splits without ground
truth. ``transforms`` takes and returns the four values ``(img1, img2, flow, valid_flow_mask)``.

Flow formats (the three torchvision reads):

- ``.flo`` (Middlebury): the 4 bytes ``PIEH`` (the float 202021.25), width and height as
  little-endian int32, then ``H * W * 2`` little-endian float32 values, row-major, u and v
  interleaved per pixel.
- ``.pfm`` (Portable Float Map): a text header ``PF`` (3 channels) or ``Pf`` (1 channel),
  ``"<w> <h>"``, then a scale whose sign gives the byte order (negative: little-endian), then
  float32 rows stored bottom-to-top (so they are flipped here).
- 16-bit RGB PNG (KITTI's devkit): R and G hold ``u * 64 + 2**15`` and ``v * 64 + 2**15``,
  B is 1 where the flow is valid.

Pillow decodes 16-bit RGB PNGs to 8 bits (it keeps the high byte), so the PNG reader asks
Pillow's own PNG decoder for the same stream twice, once unpacking the high and once the low byte
of each sample ("RGB;16B" and "RGB;16L" raw modes: the filters are undone identically in C, only
the final unpack differs), and joins them. No Python loop over pixels.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Callable
from glob import glob
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .utils import verify_str_arg
from .vision import VisionDataset

__all__ = ["FlyingChairs", "FlyingThings3D", "HD1K", "KittiFlow", "Sintel"]


def _read_flo(file_name) -> np.ndarray:
    """Read a Middlebury ``.flo`` file: a float32 ``(2, H, W)`` array."""
    with open(file_name, "rb") as f:
        data = f.read()
    if data[:4] != b"PIEH":
        raise ValueError(f"Magic number incorrect. Invalid .flo file: {file_name}")
    if len(data) < 12:
        raise ValueError(f"_read_flo: {file_name} is cut short (no width/height)")
    w, h = (int(v) for v in np.frombuffer(data, "<i4", count=2, offset=4))
    count = 2 * w * h
    if len(data) - 12 < 4 * count:
        raise ValueError(f"_read_flo: {file_name} holds {(len(data) - 12) // 4} values, a "
                         f"{w} x {h} flow needs {count}")
    flow = np.frombuffer(data, "<f4", count=count, offset=12)
    return flow.reshape(h, w, 2).transpose(2, 0, 1).astype(np.float32)


def _read_pfm(file_name, slice_channels: int = 2) -> np.ndarray:
    """Read a ``.pfm`` file as a float32 ``(C, H, W)`` array, keeping the first
    ``slice_channels`` channels (2 for a flow stored in a 3-channel PFM, 1 for a disparity)."""
    with open(file_name, "rb") as f:
        header = f.readline().rstrip()
        if header not in (b"PF", b"Pf"):
            raise ValueError(f"Invalid PFM file: {file_name} (header {header[:8]!r})")
        dim_match = re.match(rb"^(\d+)\s(\d+)\s$", f.readline())
        if not dim_match:
            raise ValueError(f"Malformed PFM header in {file_name}")
        w, h = (int(dim) for dim in dim_match.groups())
        scale = float(f.readline().rstrip())
        endian = "<" if scale < 0 else ">"  # the sign of the scale is the byte order
        data = np.frombuffer(f.read(), dtype=endian + "f4")
    channels = 3 if header == b"PF" else 1
    if data.size < h * w * channels:
        raise ValueError(f"_read_pfm: {file_name} holds {data.size} values, a {w} x {h} x "
                         f"{channels} map needs {h * w * channels}")
    data = data[: h * w * channels].reshape(h, w, channels).transpose(2, 0, 1)
    data = np.flip(data, axis=1)  # PFM rows run bottom to top
    return data[:slice_channels].astype(np.float32)


def _decode_png_rawmode(data: bytes, rawmode: str, source) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        tile = im.tile
        if im.format != "PNG" or len(tile) != 1 or tile[0].args != "RGB;16B":
            raise ValueError(f"{source} is not a 16-bit RGB PNG (mode {im.mode}, raw mode "
                             f"{tile[0].args if tile else None}); KITTI-style flow needs one")
        im.tile = [tile[0]._replace(args=rawmode)]
        im.load()
        return np.asarray(im)


def _read_png_16(file_name) -> np.ndarray:
    """The ``(H, W, 3)`` int32 levels (0..65535) of a 16-bit RGB PNG."""
    with open(file_name, "rb") as f:
        data = f.read()
    high = _decode_png_rawmode(data, "RGB;16B", file_name)  # the big-endian sample's high byte
    low = _decode_png_rawmode(data, "RGB;16L", file_name)  # read "little-endian": the low byte
    return high.astype(np.int32) * 256 + low


def _read_16bits_png_with_flow_and_valid_mask(file_name) -> tuple[np.ndarray, np.ndarray]:
    """KITTI's flow PNG: float32 flow ``(2, H, W)`` and boolean valid mask ``(H, W)``."""
    levels = _read_png_16(file_name).transpose(2, 0, 1).astype(np.float32)
    flow = (levels[:2] - 2**15) / 64  # the KITTI devkit's encoding: u * 64 + 2**15
    return flow, levels[2].astype(bool)


def _open_rgb(path) -> Image.Image:
    # Decoded and closed at once (an unloaded Image.open keeps the file open).
    with open(path, "rb") as f:
        img = Image.open(f)
        img.load()
    return img if img.mode == "RGB" else img.convert("RGB")


class FlowDataset(VisionDataset):
    """Base of the optical-flow datasets: ``_image_list`` (pairs of paths) and ``_flow_list``.

    Datasets whose files carry a valid mask set ``_has_builtin_flow_mask`` and return 4-tuples;
    the others return 3-tuples unless ``transforms`` produced a mask (torchvision's rule).
    """

    _has_builtin_flow_mask = False

    def __init__(self, root, transforms: Callable | None = None) -> None:
        super().__init__(root=root)
        self.transforms = transforms
        self._flow_list: list[str] = []
        self._image_list: list[list[str]] = []

    def _read_img(self, file_name) -> Image.Image:
        return _open_rgb(file_name)

    def _read_flow(self, file_name):
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        img1 = self._read_img(self._image_list[index][0])
        img2 = self._read_img(self._image_list[index][1])
        if self._flow_list:  # empty on splits without ground truth
            flow = self._read_flow(self._flow_list[index])
            if self._has_builtin_flow_mask:
                flow, valid_flow_mask = flow
            else:
                valid_flow_mask = None
        else:
            flow = valid_flow_mask = None
        if self.transforms is not None:
            img1, img2, flow, valid_flow_mask = self.transforms(img1, img2, flow, valid_flow_mask)
        if self._has_builtin_flow_mask or valid_flow_mask is not None:
            return img1, img2, flow, valid_flow_mask
        return img1, img2, flow

    def __len__(self) -> int:
        return len(self._image_list)

    def __rmul__(self, v: int):
        """``3 * dataset``: the dataset repeated (a ConcatDataset), as torchvision allows."""
        from ember.utils.data import ConcatDataset

        return ConcatDataset([self] * v)


class Sintel(FlowDataset):
    """`Sintel <http://sintel.is.tue.mpg.de/>`_ optical flow: consecutive frames of each scene.

    Layout: ``root/Sintel/{training,testing}/{clean,final}/<scene>/frame_XXXX.png`` and
    ``root/Sintel/training/flow/<scene>/frame_XXXX.flo``.

    Args:
        root: folder holding ``Sintel/``.
        split: ``"train"`` (default) or ``"test"`` (no flow).
        pass_name: ``"clean"`` (default), ``"final"`` or ``"both"``.
        transforms: a callable on ``(img1, img2, flow, valid_flow_mask)``.

    Example:
        >>> img1, img2, flow = Sintel("data", pass_name="final")[0]   # flow: (2, H, W)
    """

    def __init__(self, root, split: str = "train", pass_name: str = "clean",
                 transforms: Callable | None = None) -> None:
        super().__init__(root=root, transforms=transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        verify_str_arg(pass_name, "pass_name", valid_values=("clean", "final", "both"))
        passes = ["clean", "final"] if pass_name == "both" else [pass_name]
        root = Path(root) / "Sintel"
        flow_root = root / "training" / "flow"
        split_dir = "training" if split == "train" else "testing"
        for pass_name in passes:
            image_root = root / split_dir / pass_name
            if not image_root.is_dir():
                raise FileNotFoundError(f"Sintel: no folder {image_root}; expected the layout "
                                        f"Sintel/{split_dir}/{pass_name}/<scene>/*.png")
            # Scenes sorted (torchvision lists them in directory order) for a fixed order.
            for scene in sorted(os.listdir(image_root)):
                image_list = sorted(glob(str(image_root / scene / "*.png")))
                self._image_list += [[a, b] for a, b in zip(image_list[:-1], image_list[1:])]
                if split == "train":
                    self._flow_list += sorted(glob(str(flow_root / scene / "*.flo")))

    def _read_flow(self, file_name) -> np.ndarray:
        return _read_flo(file_name)


class KittiFlow(FlowDataset):
    """`KITTI 2015 <http://www.cvlibs.net/datasets/kitti/eval_scene_flow.php?benchmark=flow>`__
    optical flow: items are ``(img1, img2, flow, valid_flow_mask)``.

    Layout: ``root/KittiFlow/{training,testing}/image_2/<id>_{10,11}.png`` and
    ``root/KittiFlow/training/flow_occ/<id>_10.png`` (16-bit RGB PNG).

    Args:
        root: folder holding ``KittiFlow/``.
        split: ``"train"`` (default) or ``"test"`` (flow and mask are None).
        transforms: a callable on ``(img1, img2, flow, valid_flow_mask)``.
    """

    _has_builtin_flow_mask = True

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root=root, transforms=transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "KittiFlow" / (split + "ing")
        images1 = sorted(glob(str(root / "image_2" / "*_10.png")))
        images2 = sorted(glob(str(root / "image_2" / "*_11.png")))
        if not images1 or not images2:
            raise FileNotFoundError(
                "Could not find the Kitti flow images. Please make sure the directory structure "
                f"is correct (looked for {root / 'image_2' / '*_10.png'})."
            )
        self._image_list = [[a, b] for a, b in zip(images1, images2)]
        if split == "train":
            self._flow_list = sorted(glob(str(root / "flow_occ" / "*_10.png")))

    def _read_flow(self, file_name) -> tuple[np.ndarray, np.ndarray]:
        return _read_16bits_png_with_flow_and_valid_mask(file_name)


class FlyingChairs(FlowDataset):
    """`FlyingChairs <https://lmb.informatik.uni-freiburg.de/resources/datasets/
    FlyingChairs.en.html>`_ optical flow.

    Layout: ``root/FlyingChairs/data/XXXXX_{img1,img2}.ppm``, ``XXXXX_flow.flo`` and
    ``root/FlyingChairs/FlyingChairs_train_val.txt`` (one 1 = train or 2 = val per pair; it is
    downloaded separately from the dataset page).

    Args:
        root: folder holding ``FlyingChairs/``.
        split: ``"train"`` (default) or ``"val"``.
        transforms: a callable on ``(img1, img2, flow, valid_flow_mask)``.
    """

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root=root, transforms=transforms)
        verify_str_arg(split, "split", valid_values=("train", "val"))
        root = Path(root) / "FlyingChairs"
        images = sorted(glob(str(root / "data" / "*.ppm")))
        flows = sorted(glob(str(root / "data" / "*.flo")))
        split_file_name = "FlyingChairs_train_val.txt"
        if not os.path.exists(root / split_file_name):
            raise FileNotFoundError(
                "The FlyingChairs_train_val.txt file was not found - please download it from the "
                f"dataset page (see docstring) into {root}."
            )
        split_list = np.loadtxt(str(root / split_file_name), dtype=np.int32, ndmin=1)
        if len(split_list) < len(flows) or len(images) < 2 * len(flows):
            raise RuntimeError(f"FlyingChairs: {len(flows)} flows, {len(images)} images and "
                               f"{len(split_list)} split entries in {root} do not match")
        wanted = 1 if split == "train" else 2
        for i in np.flatnonzero(split_list[: len(flows)] == wanted).tolist():
            self._flow_list.append(flows[i])
            self._image_list.append([images[2 * i], images[2 * i + 1]])

    def _read_flow(self, file_name) -> np.ndarray:
        return _read_flo(file_name)


class FlyingThings3D(FlowDataset):
    """`FlyingThings3D <https://lmb.informatik.uni-freiburg.de/resources/datasets/
    SceneFlowDatasets.en.html>`_ optical flow, forward ("into_future") and backward
    ("into_past") pairs.

    Layout: ``root/FlyingThings3D/frames_{cleanpass,finalpass}/{TRAIN,TEST}/<A|B|C>/<seq>/
    {left,right}/XXXX.png`` and ``root/FlyingThings3D/optical_flow/{TRAIN,TEST}/<A|B|C>/<seq>/
    {into_future,into_past}/{left,right}/*.pfm``.

    Args:
        root: folder holding ``FlyingThings3D/``.
        split: ``"train"`` (default) or ``"test"``.
        pass_name: ``"clean"`` (default), ``"final"`` or ``"both"``.
        camera: ``"left"`` (default), ``"right"`` or ``"both"``.
        transforms: a callable on ``(img1, img2, flow, valid_flow_mask)``.
    """

    def __init__(self, root, split: str = "train", pass_name: str = "clean",
                 camera: str = "left", transforms: Callable | None = None) -> None:
        super().__init__(root=root, transforms=transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        split = split.upper()
        verify_str_arg(pass_name, "pass_name", valid_values=("clean", "final", "both"))
        passes = {"clean": ["frames_cleanpass"], "final": ["frames_finalpass"],
                  "both": ["frames_cleanpass", "frames_finalpass"]}[pass_name]
        verify_str_arg(camera, "camera", valid_values=("left", "right", "both"))
        cameras = ["left", "right"] if camera == "both" else [camera]
        root = Path(root) / "FlyingThings3D"
        directions = ("into_future", "into_past")
        for pass_dir, cam, direction in itertools.product(passes, cameras, directions):
            image_dirs = sorted(Path(d) / cam for d in glob(str(root / pass_dir / split / "*/*")))
            flow_dirs = sorted(Path(d) / direction / cam
                               for d in glob(str(root / "optical_flow" / split / "*/*")))
            if not image_dirs or not flow_dirs:
                raise FileNotFoundError(
                    "Could not find the FlyingThings3D flow images. Please make sure the "
                    f"directory structure is correct (looked in {root / pass_dir / split})."
                )
            for image_dir, flow_dir in zip(image_dirs, flow_dirs):
                images = sorted(glob(str(image_dir / "*.png")))
                flows = sorted(glob(str(flow_dir / "*.pfm")))
                for i in range(len(flows) - 1):
                    if direction == "into_future":
                        self._image_list.append([images[i], images[i + 1]])
                        self._flow_list.append(flows[i])
                    else:  # into_past: the flow of frame i + 1 points back to frame i
                        self._image_list.append([images[i + 1], images[i]])
                        self._flow_list.append(flows[i + 1])

    def _read_flow(self, file_name) -> np.ndarray:
        return _read_pfm(file_name)


class HD1K(FlowDataset):
    """`HD1K <http://hci-benchmark.iwr.uni-heidelberg.de/>`__ optical flow: items are
    ``(img1, img2, flow, valid_flow_mask)``.

    Layout: ``root/hd1k/hd1k_input/image_2/<seq:06d>_<frame>.png``,
    ``root/hd1k/hd1k_flow_gt/flow_occ/<seq:06d>_<frame>.png`` (16-bit RGB PNG, KITTI's
    encoding) and ``root/hd1k/hd1k_challenge/image_2/*{10,11}.png`` for the test split.

    Args:
        root: folder holding ``hd1k/``.
        split: ``"train"`` (default) or ``"test"``.
        transforms: a callable on ``(img1, img2, flow, valid_flow_mask)``.
    """

    _has_builtin_flow_mask = True

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root=root, transforms=transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "hd1k"
        if split == "train":
            # 36 sequences; pairs never straddle two sequences.
            for seq_idx in range(36):
                pattern = f"{seq_idx:06d}_*.png"
                flows = sorted(glob(str(root / "hd1k_flow_gt" / "flow_occ" / pattern)))
                images = sorted(glob(str(root / "hd1k_input" / "image_2" / pattern)))
                for i in range(len(flows) - 1):
                    self._flow_list.append(flows[i])
                    self._image_list.append([images[i], images[i + 1]])
        else:
            images1 = sorted(glob(str(root / "hd1k_challenge" / "image_2" / "*10.png")))
            images2 = sorted(glob(str(root / "hd1k_challenge" / "image_2" / "*11.png")))
            self._image_list = [[a, b] for a, b in zip(images1, images2)]
        if not self._image_list:
            raise FileNotFoundError(
                "Could not find the HD1K images. Please make sure the directory structure is "
                f"correct (looked in {root})."
            )

    def _read_flow(self, file_name) -> tuple[np.ndarray, np.ndarray]:
        return _read_16bits_png_with_flow_and_valid_mask(file_name)
