"""Stereo-matching datasets with torchvision's API: CarlaStereo, Kitti2012Stereo,
Kitti2015Stereo, SceneFlowStereo, SintelStereo, FallingThingsStereo, InStereo2k, ETH3DStereo,
Middlebury2014Stereo and CREStereo.

Items are ``(img_left, img_right, disparity)`` — RGB PIL images and the left view's disparity
as a NumPy array ``(1, H, W)`` — or ``(img_left, img_right, disparity, valid_mask)`` (boolean
``(H, W)``) for datasets marked with a built-in mask; ``disparity`` is ``None`` where a split
has no ground truth. ``transforms`` takes and returns three pairs ``(images, disparities,
valid_masks)`` (left, right).

How each dataset stores disparity (torchvision's readers, from the datasets' own READMEs):

- PFM (Carla, SceneFlow, Middlebury, ETH3D): float32, absolute value taken; Middlebury marks
  unknown pixels with +inf (set to 0 and masked out).
- 16-bit PNG, disparity = level / 256 (KITTI 2012 and 2015; 0 = no ground truth).
- 16-bit PNG, / 32 (CREStereo); / 1024 (InStereo2k).
- 8-bit RGB PNG, disparity = R * 4 + G / 2**6 + B / 2**14 (Sintel), valid where the
  ``occlusions`` and ``outofframe`` masks are 0.
- 16-bit depth PNG (FallingThings): disparity = 6 * fx * 100 / depth, with ``fx`` from the
  scene's ``_camera_settings.json`` (baseline 6 cm, depth in 1/100 cm).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from glob import glob
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._optical_flow import _open_rgb, _read_pfm
from .utils import download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["CREStereo", "CarlaStereo", "ETH3DStereo", "FallingThingsStereo", "InStereo2k",
           "Kitti2012Stereo", "Kitti2015Stereo", "Middlebury2014Stereo", "SceneFlowStereo",
           "SintelStereo"]


def _read_pfm_file(file_name) -> np.ndarray:
    return _read_pfm(file_name, slice_channels=1)


def _read_levels(path) -> np.ndarray:
    # A PNG's levels as stored (16-bit grayscale reads as Pillow mode "I;16"), file closed.
    with open(path, "rb") as f:
        img = Image.open(f)
        img.load()
    return np.asarray(img)


class StereoMatchingDataset(VisionDataset):
    """Base of the stereo datasets: ``_images`` and ``_disparities`` hold (left, right) paths
    (``None`` where a file does not exist for the split); subclasses implement
    ``_read_disparity(path) -> (disparity (1, H, W) or None, valid_mask (H, W) or None)``."""

    _has_built_in_disparity_mask = False

    def __init__(self, root, transforms: Callable | None = None) -> None:
        super().__init__(root=root)
        self.transforms = transforms
        self._images: list[tuple[str, str | None]] = []
        self._disparities: list[tuple[str | None, str | None]] = []

    def _read_img(self, file_path) -> Image.Image:
        return _open_rgb(file_path)

    def _scan_pairs(self, paths_left_pattern: str,
                    paths_right_pattern: str | None = None) -> list[tuple[str, str | None]]:
        left_paths = sorted(glob(paths_left_pattern))
        if paths_right_pattern:
            right_paths: list[str | None] = sorted(glob(paths_right_pattern))
        else:
            right_paths = [None] * len(left_paths)
        if not left_paths:
            raise FileNotFoundError(
                f"Could not find any files matching the patterns: {paths_left_pattern}")
        if not right_paths:
            raise FileNotFoundError(
                f"Could not find any files matching the patterns: {paths_right_pattern}")
        if len(left_paths) != len(right_paths):
            raise ValueError(
                f"Found {len(left_paths)} left files but {len(right_paths)} right files using:\n "
                f"left pattern: {paths_left_pattern}\n"
                f"right pattern: {paths_right_pattern}\n"
            )
        return list(zip(left_paths, right_paths))

    def _read_disparity(self, file_path) -> tuple[np.ndarray | None, np.ndarray | None]:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        """Returns ``(img_left, img_right, disparity)`` or, with a valid mask,
        ``(img_left, img_right, disparity, valid_mask)``."""
        img_left = self._read_img(self._images[index][0])
        img_right = self._read_img(self._images[index][1])
        dsp_map_left, valid_mask_left = self._read_disparity(self._disparities[index][0])
        dsp_map_right, valid_mask_right = self._read_disparity(self._disparities[index][1])
        imgs = (img_left, img_right)
        dsp_maps = (dsp_map_left, dsp_map_right)
        valid_masks = (valid_mask_left, valid_mask_right)
        if self.transforms is not None:
            imgs, dsp_maps, valid_masks = self.transforms(imgs, dsp_maps, valid_masks)
        if self._has_built_in_disparity_mask or valid_masks[0] is not None:
            return imgs[0], imgs[1], dsp_maps[0], valid_masks[0]
        return imgs[0], imgs[1], dsp_maps[0]

    def __len__(self) -> int:
        return len(self._images)


class CarlaStereo(StereoMatchingDataset):
    """Carla simulator stereo data from the `CREStereo repository
    <https://github.com/megvii-research/CREStereo>`_.

    Layout: ``root/carla-highres/trainingF/<scene>/{im0,im1}.png`` and ``disp{0,1}GT.pfm``.

    Args:
        root: folder holding ``carla-highres/``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    def __init__(self, root, transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        root = Path(root) / "carla-highres"
        self._images = self._scan_pairs(str(root / "trainingF" / "*" / "im0.png"),
                                        str(root / "trainingF" / "*" / "im1.png"))
        self._disparities = self._scan_pairs(str(root / "trainingF" / "*" / "disp0GT.pfm"),
                                             str(root / "trainingF" / "*" / "disp1GT.pfm"))

    def _read_disparity(self, file_path) -> tuple[np.ndarray, None]:
        return np.abs(_read_pfm_file(file_path)), None  # disparities are stored signed


class _KittiStereo(StereoMatchingDataset):
    _has_built_in_disparity_mask = True

    def _read_disparity(self, file_path) -> tuple[np.ndarray | None, None]:
        if file_path is None:  # the test split has no disparity maps
            return None, None
        # KITTI's devkit: disparity = level / 256 (float64, as torchvision's division gives).
        return (_read_levels(file_path) / 256.0)[None, :, :], None


class Kitti2012Stereo(_KittiStereo):
    """KITTI `2012 stereo benchmark <http://www.cvlibs.net/datasets/kitti/eval_stereo_flow.php>`_
    (the colour images, as for KITTI 2015).

    Layout: ``root/Kitti2012/{training,testing}/colored_{0,1}/<id>_10.png`` and
    ``root/Kitti2012/training/disp_noc/<id>.png`` (16-bit, disparity * 256).

    Args:
        root: folder holding ``Kitti2012/``.
        split: ``"train"`` (default) or ``"test"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.

    Items are 4-tuples whose ``valid_mask`` is None unless ``transforms`` makes one.
    """

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "Kitti2012" / (split + "ing")
        self._images = self._scan_pairs(str(root / "colored_0" / "*_10.png"),
                                        str(root / "colored_1" / "*_10.png"))
        if split == "train":
            self._disparities = self._scan_pairs(str(root / "disp_noc" / "*.png"), None)
        else:
            self._disparities = [(None, None) for _ in self._images]


class Kitti2015Stereo(_KittiStereo):
    """KITTI `2015 stereo benchmark <http://www.cvlibs.net/datasets/kitti/eval_scene_flow.php>`_.

    Layout: ``root/Kitti2015/{training,testing}/image_{2,3}/*.png`` and
    ``root/Kitti2015/training/disp_occ_{0,1}/*.png`` (16-bit, disparity * 256).

    Args:
        root: folder holding ``Kitti2015/``.
        split: ``"train"`` (default) or ``"test"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "Kitti2015" / (split + "ing")
        self._images = self._scan_pairs(str(root / "image_2" / "*.png"),
                                        str(root / "image_3" / "*.png"))
        if split == "train":
            self._disparities = self._scan_pairs(str(root / "disp_occ_0" / "*.png"),
                                                 str(root / "disp_occ_1" / "*.png"))
        else:
            self._disparities = [(None, None) for _ in self._images]


class Middlebury2014Stereo(StereoMatchingDataset):
    """The public scenes of `Middlebury 2014 <https://vision.middlebury.edu/stereo/data/
    scenes2014/>`_: 4-tuples whose mask marks pixels with a known (finite, > 0) disparity.

    Layout: ``root/Middlebury2014/{train,additional}/<Scene>-{perfect,imperfect}/`` with
    ``im0.png``, ``im1.png`` (also ``im1E.png``, ``im1L.png``: other exposure and lighting) and
    ``disp{0,1}.pfm``; ``root/Middlebury2014/test/<Scene>/im{0,1}.png``.

    Args:
        root: folder holding ``Middlebury2014/``.
        split: ``"train"`` (default), ``"test"`` or ``"additional"``.
        calibration: ``"perfect"`` (default), ``"imperfect"`` or ``"both"``; must be None for
            ``"test"``.
        use_ambient_views: pick the right image at random among ``im1``, ``im1E``, ``im1L``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
        download: download the split's scene zips from the Middlebury site.
    """

    splits = {
        "train": ["Adirondack", "Jadeplant", "Motorcycle", "Piano", "Pipes", "Playroom",
                  "Playtable", "Recycle", "Shelves", "Vintage"],
        "additional": ["Backpack", "Bicycle1", "Cable", "Classroom1", "Couch", "Flowers",
                       "Mask", "Shopvac", "Sticks", "Storage", "Sword1", "Sword2", "Umbrella"],
        "test": ["Plants", "Classroom2E", "Classroom2", "Australia", "DjembeL", "CrusadeP",
                 "Crusade", "Hoops", "Bicycle2", "Staircase", "Newkuba", "AustraliaP", "Djembe",
                 "Livingroom", "Computer"],
    }

    _has_built_in_disparity_mask = True

    def __init__(self, root, split: str = "train", calibration: str | None = "perfect",
                 use_ambient_views: bool = False, transforms: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transforms)
        verify_str_arg(split, "split", valid_values=("train", "test", "additional"))
        self.split = split
        if calibration:
            verify_str_arg(calibration, "calibration",
                           valid_values=("perfect", "imperfect", "both"))
            if split == "test":
                raise ValueError("Split 'test' has only no calibration settings, please set "
                                 "`calibration=None`.")
        elif split != "test":
            raise ValueError(
                f"Split '{split}' has calibration settings, however None was provided as an "
                f"argument.\nSetting calibration to 'perfect' for split '{split}'. Available "
                "calibration settings are: 'perfect', 'imperfect', 'both'.")
        if download:
            self._download_dataset(root)
        root = Path(root) / "Middlebury2014"
        if not os.path.exists(root / split):
            raise FileNotFoundError(
                f"The {split} directory was not found in the provided root directory {root}")
        # startswith: the folders carry a -perfect / -imperfect suffix.
        if not any(scene.startswith(s) for scene in os.listdir(root / split)
                   for s in self.splits[split]):
            raise FileNotFoundError(
                f"Provided root folder does not contain any scenes from the {split} split.")
        suffixes = {None: [""], "perfect": ["-perfect"], "imperfect": ["-imperfect"],
                    "both": ["-perfect", "-imperfect"]}[calibration]
        for suffix in suffixes:
            pattern = "*" + suffix
            self._images += self._scan_pairs(str(root / split / pattern / "im0.png"),
                                             str(root / split / pattern / "im1.png"))
            if split == "test":
                self._disparities = [(None, None) for _ in self._images]
            else:
                self._disparities += self._scan_pairs(str(root / split / pattern / "disp0.pfm"),
                                                      str(root / split / pattern / "disp1.pfm"))
        self.use_ambient_views = use_ambient_views

    def _read_img(self, file_path) -> Image.Image:
        """The image; with ``use_ambient_views`` the right view is drawn uniformly from
        ``im1.png`` and whichever of ``im1E.png``, ``im1L.png`` exist."""
        file_path = Path(file_path)
        if file_path.name == "im1.png" and self.use_ambient_views:
            candidates = [p for p in (file_path.parent / "im1E.png", file_path.parent / "im1L.png")
                          if p.exists()]
            file_path = random.choice(candidates + [file_path])
        return super()._read_img(file_path)

    def _read_disparity(self, file_path):
        if file_path is None:  # the test split has no disparity maps
            return None, None
        disparity_map = np.abs(_read_pfm_file(file_path))
        disparity_map[disparity_map == np.inf] = 0  # +inf marks unknown disparity
        valid_mask = (disparity_map > 0).squeeze(0)
        return disparity_map, valid_mask

    def _download_dataset(self, root) -> None:
        base_url = "https://vision.middlebury.edu/stereo/data/scenes2014/zip"
        root = Path(root) / "Middlebury2014"
        if self.split != "test":
            split_root = root / self.split
            for split_scene in self.splits[self.split]:
                for calibration in ("perfect", "imperfect"):
                    scene_name = f"{split_scene}-{calibration}"
                    if not (split_root / scene_name).exists():
                        download_and_extract_archive(f"{base_url}/{scene_name}.zip",
                                                     str(split_root), filename=f"{scene_name}.zip",
                                                     remove_finished=True)
            return
        os.makedirs(root / "test", exist_ok=True)
        if any(s not in os.listdir(root / "test") for s in self.splits["test"]):
            # The test scenes come from MiddEval3 (its testF folder moved to test/).
            download_and_extract_archive(
                "https://vision.middlebury.edu/stereo/submit3/zip/MiddEval3-data-F.zip",
                str(root), remove_finished=True)
            test_src = root / "MiddEval3" / "testF"
            for scene in sorted(os.listdir(test_src)):
                if not (root / "test" / scene).exists():
                    shutil.move(str(test_src / scene), str(root / "test"))
            shutil.rmtree(str(root / "MiddEval3"))


class CREStereo(StereoMatchingDataset):
    """The synthetic `CREStereo <https://arxiv.org/pdf/2203.11483.pdf>`_ training data.

    Layout: ``root/CREStereo/{shapenet,reflective,tree,hole}/<id>_{left,right}.jpg`` and
    ``<id>_{left,right}.disp.png`` (16-bit, disparity * 32).

    Args:
        root: folder holding ``CREStereo/``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    _has_built_in_disparity_mask = True

    def __init__(self, root, transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        root = Path(root) / "CREStereo"
        for s in ("shapenet", "reflective", "tree", "hole"):
            self._images += self._scan_pairs(str(root / s / "*_left.jpg"),
                                             str(root / s / "*_right.jpg"))
            self._disparities += self._scan_pairs(str(root / s / "*_left.disp.png"),
                                                  str(root / s / "*_right.disp.png"))

    def _read_disparity(self, file_path) -> tuple[np.ndarray, None]:
        disparity = _read_levels(file_path).astype(np.float32)
        return disparity[None, :, :] / 32.0, None


class FallingThingsStereo(StereoMatchingDataset):
    """NVIDIA `FallingThings <https://research.nvidia.com/publication/2018-06_falling-things-
    synthetic-dataset-3d-object-detection-and-pose-estimation>`_: disparity from depth.

    Layout: ``root/FallingThings/single/<object>/<scene>/`` and ``root/FallingThings/mixed/
    <scene>/`` holding ``<n>.{left,right}.jpg``, ``<n>.{left,right}.depth.png`` and
    ``_camera_settings.json``.

    Args:
        root: folder holding ``FallingThings/``.
        variant: ``"single"`` (default), ``"mixed"`` or ``"both"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    def __init__(self, root, variant: str = "single",
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        root = Path(root) / "FallingThings"
        verify_str_arg(variant, "variant", valid_values=("single", "mixed", "both"))
        variants = {"single": ["single"], "mixed": ["mixed"],
                    "both": ["single", "mixed"]}[variant]
        prefix = {"single": Path("*") / "*", "mixed": Path("*")}
        for s in variants:
            self._images += self._scan_pairs(str(root / s / prefix[s] / "*.left.jpg"),
                                             str(root / s / prefix[s] / "*.right.jpg"))
            self._disparities += self._scan_pairs(
                str(root / s / prefix[s] / "*.left.depth.png"),
                str(root / s / prefix[s] / "*.right.depth.png"))

    def _read_disparity(self, file_path) -> tuple[np.ndarray, None]:
        depth = _read_levels(file_path)
        with open(Path(file_path).parent / "_camera_settings.json") as f:
            intrinsics = json.load(f)
        focal = intrinsics["camera_settings"][0]["intrinsic_settings"]["fx"]
        # The dataset's README: depth = baseline * focal * pixel_constant / disparity.
        baseline, pixel_constant = 6, 100
        disparity = (baseline * focal * pixel_constant) / depth.astype(np.float32)
        return disparity[None, :, :], None


class SceneFlowStereo(StereoMatchingDataset):
    """The `Scene Flow <https://lmb.informatik.uni-freiburg.de/resources/datasets/
    SceneFlowDatasets.en.html>`_ datasets (FlyingThings3D, Monkaa, Driving) for stereo.

    Layout: ``root/SceneFlow/<variant>/frames_{cleanpass,finalpass}/<prefix>/{left,right}/
    *.png`` and ``root/SceneFlow/<variant>/disparity/<prefix>/{left,right}/*.pfm`` with
    ``<prefix>`` ``<scene>`` for Monkaa and three folder levels for the others.

    Args:
        root: folder holding ``SceneFlow/``.
        variant: ``"FlyingThings3D"`` (default), ``"Driving"`` or ``"Monkaa"``.
        pass_name: ``"clean"`` (default), ``"final"`` or ``"both"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    def __init__(self, root, variant: str = "FlyingThings3D", pass_name: str = "clean",
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        root = Path(root) / "SceneFlow"
        verify_str_arg(variant, "variant", valid_values=("FlyingThings3D", "Driving", "Monkaa"))
        verify_str_arg(pass_name, "pass_name", valid_values=("clean", "final", "both"))
        passes = {"clean": ["frames_cleanpass"], "final": ["frames_finalpass"],
                  "both": ["frames_cleanpass", "frames_finalpass"]}[pass_name]
        root = root / variant
        prefix = {"Monkaa": Path("*"), "FlyingThings3D": Path("*") / "*" / "*",
                  "Driving": Path("*") / "*" / "*"}[variant]
        for p in passes:
            self._images += self._scan_pairs(str(root / p / prefix / "left" / "*.png"),
                                             str(root / p / prefix / "right" / "*.png"))
            self._disparities += self._scan_pairs(
                str(root / "disparity" / prefix / "left" / "*.pfm"),
                str(root / "disparity" / prefix / "right" / "*.pfm"))

    def _read_disparity(self, file_path) -> tuple[np.ndarray, None]:
        return np.abs(_read_pfm_file(file_path)), None


class SintelStereo(StereoMatchingDataset):
    """`Sintel stereo <http://sintel.is.tue.mpg.de/stereo>`_: 4-tuples, valid where neither
    occluded nor out of frame.

    Layout: ``root/Sintel/training/{final,clean}_{left,right}/<scene>/*.png``,
    ``root/Sintel/training/disparities/<scene>/*.png`` (RGB-encoded), and the masks
    ``occlusions/<scene>/*.png``, ``outofframe/<scene>/*.png`` beside them.

    Args:
        root: folder holding ``Sintel/``.
        pass_name: ``"final"`` (default), ``"clean"`` or ``"both"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    _has_built_in_disparity_mask = True

    def __init__(self, root, pass_name: str = "final",
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        verify_str_arg(pass_name, "pass_name", valid_values=("final", "clean", "both"))
        root = Path(root) / "Sintel"
        pass_names = {"final": ["final"], "clean": ["clean"], "both": ["final", "clean"]}
        for p in pass_names[pass_name]:
            self._images += self._scan_pairs(str(root / "training" / f"{p}_left" / "*" / "*.png"),
                                             str(root / "training" / f"{p}_right" / "*" / "*.png"))
            self._disparities += self._scan_pairs(
                str(root / "training" / "disparities" / "*" / "*.png"), None)

    def _get_occlussion_mask_paths(self, file_path) -> tuple[str, str]:
        # .../training/disparities/<scene>/<name>.png -> .../training/{occlusions,outofframe}/...
        fpath = Path(file_path)
        sampledir = fpath.parent.parent.parent
        occlusion_path = str(sampledir / "occlusions" / fpath.parent.name / fpath.name)
        outofframe_path = str(sampledir / "outofframe" / fpath.parent.name / fpath.name)
        if not os.path.exists(occlusion_path):
            raise FileNotFoundError(f"Occlusion mask {occlusion_path} does not exist")
        if not os.path.exists(outofframe_path):
            raise FileNotFoundError(f"Out of frame mask {outofframe_path} does not exist")
        return occlusion_path, outofframe_path

    def _read_disparity(self, file_path):
        if file_path is None:
            return None, None
        # The Sintel README's encoding: d = R * 4 + G / 2**6 + B / 2**14.
        rgb = _read_levels(file_path).astype(np.float32)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        disparity_map = (r * 4 + g / (2**6) + b / (2**14))[None, :, :]
        occluded_path, out_of_frame_path = self._get_occlussion_mask_paths(file_path)
        valid_mask = _read_levels(occluded_path) == 0
        off_mask = _read_levels(out_of_frame_path) == 0
        return disparity_map, np.logical_and(off_mask, valid_mask)


class InStereo2k(StereoMatchingDataset):
    """`InStereo2k <https://github.com/YuhuaXu/StereoDataset>`_ indoor stereo.

    Layout: ``root/InStereo2k/{train,test}/<scene>/{left,right}.png`` and
    ``{left,right}_disp.png`` (16-bit, disparity * 1024).

    Args:
        root: folder holding ``InStereo2k/``.
        split: ``"train"`` (default) or ``"test"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "InStereo2k" / split
        self._images = self._scan_pairs(str(root / "*" / "left.png"),
                                        str(root / "*" / "right.png"))
        self._disparities = self._scan_pairs(str(root / "*" / "left_disp.png"),
                                             str(root / "*" / "right_disp.png"))

    def _read_disparity(self, file_path) -> tuple[np.ndarray, None]:
        disparity = _read_levels(file_path).astype(np.float32)
        return disparity[None, :, :] / 1024.0, None


class ETH3DStereo(StereoMatchingDataset):
    """ETH3D `low-res two-view <https://www.eth3d.net/datasets>`_ stereo: 4-tuples whose mask is
    the non-occluded ground truth (``mask0nocc.png``).

    Layout: ``root/ETH3D/two_view_training/<scene>/im{0,1}.png``,
    ``root/ETH3D/two_view_training_gt/<scene>/{disp0GT.pfm,mask0nocc.png}`` and
    ``root/ETH3D/two_view_test/<scene>/im{0,1}.png``.

    Args:
        root: folder holding ``ETH3D/``.
        split: ``"train"`` (default) or ``"test"``.
        transforms: a callable on ``(images, disparities, valid_masks)``.
    """

    _has_built_in_disparity_mask = True

    def __init__(self, root, split: str = "train", transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        verify_str_arg(split, "split", valid_values=("train", "test"))
        root = Path(root) / "ETH3D"
        img_dir = "two_view_training" if split == "train" else "two_view_test"
        self._images = self._scan_pairs(str(root / img_dir / "*" / "im0.png"),
                                        str(root / img_dir / "*" / "im1.png"))
        if split == "test":
            self._disparities = [(None, None) for _ in self._images]
        else:
            self._disparities = self._scan_pairs(
                str(root / "two_view_training_gt" / "*" / "disp0GT.pfm"), None)

    def _read_disparity(self, file_path):
        if file_path is None:  # the test split has no disparity maps
            return None, None
        disparity_map = np.abs(_read_pfm_file(file_path))
        valid_mask = _read_levels(Path(file_path).parent / "mask0nocc.png").astype(bool)
        return disparity_map, valid_mask
