"""Dense-prediction datasets (WIDERFace, Cityscapes, Kitti, SBDataset, the optical-flow and
stereo datasets), their file readers (.flo, .pfm, 16-bit PNG), flow_to_image and draw_keypoints.

Every dataset is built on a tiny fake copy of its real layout; the flow/disparity files are
written here by independent encoders (struct/zlib for PNG and .flo, text header + raw floats for
PFM, scipy.io.savemat for SBD's MAT-files), and every image pair gets its own size so a wrong
file-to-item mapping shows in ``img.size``.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

import ember
from embervision._utils_extra import draw_keypoints, flow_to_image
from embervision.datasets import _optical_flow as of
from embervision.datasets import _stereo_matching as sm
from embervision.datasets.cityscapes import Cityscapes
from embervision.datasets.kitti import Kitti
from embervision.datasets.sbd import SBDataset
from embervision.datasets.widerface import WIDERFace

RNG = np.random.default_rng(0)


# ----------------------------------------------------------------------------- file writers
def _mkdir(path):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)


def write_image(path, size, seed=0, fmt=None):
    _mkdir(path)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(
        path, format=fmt)


def write_flo(path, flow):
    """Middlebury .flo: 'PIEH', int32 w, h, then (H, W, 2) float32 little-endian."""
    _mkdir(path)
    _, h, w = flow.shape
    with open(path, "wb") as f:
        f.write(b"PIEH" + struct.pack("<ii", w, h))
        f.write(flow.transpose(1, 2, 0).astype("<f4").tobytes())


def write_pfm(path, data, little_endian=True):
    """PFM: 'PF' (3 channels) or 'Pf' (1), 'w h', scale (negative = little-endian), rows
    bottom to top."""
    _mkdir(path)
    c, h, w = data.shape
    dtype = "<f4" if little_endian else ">f4"
    with open(path, "wb") as f:
        f.write((b"PF\n" if c == 3 else b"Pf\n") + f"{w} {h}\n".encode())
        f.write(b"-1.0\n" if little_endian else b"1.0\n")
        f.write(data.transpose(1, 2, 0)[::-1].astype(dtype).tobytes())


def _png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def write_png16_rgb(path, levels):
    """A 16-bit RGB PNG of ``levels`` (H, W, 3), rows filtered None / Sub / Up in turn so that
    the reader's unfiltering is exercised."""
    _mkdir(path)
    h, w, _ = levels.shape
    raw = np.frombuffer(levels.astype(">u2").tobytes(), np.uint8).reshape(h, w * 6).astype(np.int64)
    rows = []
    for y in range(h):
        kind = y % 3
        if kind == 0:
            filtered = raw[y]
        elif kind == 1:  # Sub: minus the byte one pixel (6 bytes) to the left
            filtered = raw[y] - np.concatenate([np.zeros(6, np.int64), raw[y][:-6]])
        else:  # Up: minus the byte above
            filtered = raw[y] - raw[y - 1]
        rows.append(bytes([kind]) + (filtered % 256).astype(np.uint8).tobytes())
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
                + _png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + _png_chunk(b"IEND", b""))


def write_png16_gray(path, levels):
    _mkdir(path)
    Image.fromarray(levels.astype(np.uint16)).save(path)


# ----------------------------------------------------------------------------- readers
def test_read_flo_round_trip_and_bad_magic(tmp_path):
    flow = RNG.standard_normal((2, 3, 5)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    out = of._read_flo(tmp_path / "a.flo")
    assert out.shape == (2, 3, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out, flow)
    (tmp_path / "b.flo").write_bytes(b"XXXX" + bytes(8))
    with pytest.raises(ValueError, match="Invalid .flo file"):
        of._read_flo(tmp_path / "b.flo")


@pytest.mark.parametrize("little_endian", [True, False])
def test_read_pfm_channels_flip_and_byte_order(tmp_path, little_endian):
    data = RNG.standard_normal((3, 4, 6)).astype(np.float32)
    write_pfm(tmp_path / "a.pfm", data, little_endian)
    np.testing.assert_array_equal(of._read_pfm(tmp_path / "a.pfm"), data[:2])
    one = data[:1]
    write_pfm(tmp_path / "d.pfm", one, little_endian)
    out = of._read_pfm(tmp_path / "d.pfm", slice_channels=1)
    assert out.shape == (1, 4, 6)
    np.testing.assert_array_equal(out, one)
    (tmp_path / "bad.pfm").write_bytes(b"P6\n1 1\n255\n")
    with pytest.raises(ValueError, match="Invalid PFM file"):
        of._read_pfm(tmp_path / "bad.pfm")


def test_read_16bit_png_flow_exact_levels(tmp_path):
    h, w = 5, 4
    levels = RNG.integers(0, 65536, (h, w, 3))
    levels[..., 2] = RNG.integers(0, 2, (h, w))
    levels[0, 0] = (32768 + 64, 32768 - 128, 1)  # u = 1, v = -2, valid
    write_png16_rgb(tmp_path / "f.png", levels)
    np.testing.assert_array_equal(of._read_png_16(tmp_path / "f.png"), levels)
    flow, valid = of._read_16bits_png_with_flow_and_valid_mask(tmp_path / "f.png")
    assert flow.shape == (2, h, w) and flow.dtype == np.float32
    assert valid.shape == (h, w) and valid.dtype == bool
    np.testing.assert_allclose(flow, (levels[..., :2].transpose(2, 0, 1) - 2.0**15) / 64)
    np.testing.assert_array_equal(valid, levels[..., 2] == 1)
    assert flow[:, 0, 0].tolist() == [1.0, -2.0]
    Image.new("RGB", (2, 2)).save(tmp_path / "eight.png")
    with pytest.raises(ValueError, match="not a 16-bit RGB PNG"):
        of._read_png_16(tmp_path / "eight.png")


# ----------------------------------------------------------------------------- optical flow
def test_flying_chairs_splits_and_items(tmp_path):
    root = tmp_path / "FlyingChairs"
    flows = []
    for i in range(3):
        write_image(root / "data" / f"{i + 1:05d}_img1.ppm", (6 + i, 4), seed=i)
        write_image(root / "data" / f"{i + 1:05d}_img2.ppm", (6 + i, 4), seed=10 + i)
        flows.append(RNG.standard_normal((2, 4, 6 + i)).astype(np.float32))
        write_flo(root / "data" / f"{i + 1:05d}_flow.flo", flows[-1])
    with pytest.raises(FileNotFoundError, match="FlyingChairs_train_val.txt"):
        of.FlyingChairs(tmp_path)
    (root / "FlyingChairs_train_val.txt").write_text("1\n2\n1\n")
    train = of.FlyingChairs(tmp_path)
    val = of.FlyingChairs(tmp_path, split="val")
    assert (len(train), len(val)) == (2, 1)
    img1, img2, flow = train[1]
    assert img1.size == img2.size == (8, 4) and img1.mode == "RGB"
    np.testing.assert_array_equal(flow, flows[2])
    np.testing.assert_array_equal(val[0][2], flows[1])
    assert len(3 * train) == 6
    with pytest.raises(ValueError, match="Unknown value 'test' for argument split"):
        of.FlyingChairs(tmp_path, split="test")


def test_sintel_pairs_passes_test_split_and_transforms(tmp_path):
    root = tmp_path / "Sintel"
    flows = {}
    for split in ("training", "testing"):
        for p in ("clean", "final"):
            for s, scene in enumerate(("alley", "bamboo")):
                for f in range(3):
                    write_image(root / split / p / scene / f"frame_{f + 1:04d}.png",
                                (5 + s, 3 + f), seed=f)
    for s, scene in enumerate(("alley", "bamboo")):
        for f in range(2):
            flows[scene, f] = RNG.standard_normal((2, 3 + f, 5 + s)).astype(np.float32)
            write_flo(root / "training" / "flow" / scene / f"frame_{f + 1:04d}.flo",
                      flows[scene, f])
    ds = of.Sintel(tmp_path)
    assert len(ds) == 4 and len(of.Sintel(tmp_path, pass_name="both")) == 8
    item = ds[3]  # bamboo, frames 2 -> 3
    assert len(item) == 3 and item[0].size == (6, 4) and item[1].size == (6, 5)
    np.testing.assert_array_equal(item[2], flows["bamboo", 1])
    test = of.Sintel(tmp_path, split="test", pass_name="final")
    assert len(test) == 4 and test[0][2] is None and len(test[0]) == 3

    def with_mask(img1, img2, flow, valid):
        return img1, img2, flow, np.ones(flow.shape[1:], bool)

    assert len(of.Sintel(tmp_path, transforms=with_mask)[0]) == 4  # a mask made by transforms


def test_flying_things_3d_future_and_past(tmp_path):
    root = tmp_path / "FlyingThings3D"
    seq = ("TRAIN", "A", "0000")
    flows = []
    for f in range(3):
        write_image(root / "frames_cleanpass" / os.path.join(*seq) / "left" / f"{6 + f:04d}.png",
                    (4 + f, 3), seed=f)
        flows.append(RNG.standard_normal((3, 3, 4)).astype(np.float32))
        for direction in ("into_future", "into_past"):
            write_pfm(root / "optical_flow" / os.path.join(*seq) / direction / "left"
                      / f"OpticalFlowInto_{6 + f:04d}_L.pfm", flows[-1])
    ds = of.FlyingThings3D(tmp_path)
    assert len(ds) == 4
    img1, img2, flow = ds[1]  # future: frame 1 -> 2, flow of frame 1
    assert (img1.size, img2.size) == ((5, 3), (6, 3))
    np.testing.assert_array_equal(flow, flows[1][:2])
    img1, img2, flow = ds[2]  # past: frame 1 -> 0, flow of frame 1
    assert (img1.size, img2.size) == ((5, 3), (4, 3))
    np.testing.assert_array_equal(flow, flows[1][:2])
    with pytest.raises(FileNotFoundError, match="FlyingThings3D"):
        of.FlyingThings3D(tmp_path / "none")
    assert len(of.FlyingThings3D(tmp_path, camera="right")) == 0  # no right frames: empty


def test_kitti_flow_and_hd1k_masks(tmp_path):
    levels = RNG.integers(0, 65536, (3, 4, 3))
    levels[..., 2] = [[1, 0, 1, 1]] * 3
    for split in ("training", "testing"):
        for i in range(2):
            write_image(tmp_path / "KittiFlow" / split / "image_2" / f"{i:06d}_10.png", (4, 3))
            write_image(tmp_path / "KittiFlow" / split / "image_2" / f"{i:06d}_11.png", (4, 3))
    for i in range(2):
        write_png16_rgb(tmp_path / "KittiFlow" / "training" / "flow_occ" / f"{i:06d}_10.png",
                        levels)
    img1, img2, flow, valid = of.KittiFlow(tmp_path)[1]
    np.testing.assert_allclose(flow, (levels[..., :2].transpose(2, 0, 1) - 32768) / 64)
    assert valid.tolist() == [[True, False, True, True]] * 3
    assert of.KittiFlow(tmp_path, split="test")[0][2:] == (None, None)
    with pytest.raises(FileNotFoundError, match="Kitti flow images"):
        of.KittiFlow(tmp_path / "nowhere")

    hd = tmp_path / "hd1k"
    for f in range(3):
        write_image(hd / "hd1k_input" / "image_2" / f"000000_{f:04d}.png", (4 + f, 3))
        write_png16_rgb(hd / "hd1k_flow_gt" / "flow_occ" / f"000000_{f:04d}.png", levels)
    ds = of.HD1K(tmp_path)
    assert len(ds) == 2
    img1, img2, flow, valid = ds[1]
    assert (img1.size, img2.size) == ((5, 3), (6, 3)) and valid.dtype == bool
    with pytest.raises(FileNotFoundError, match="HD1K"):
        of.HD1K(tmp_path, split="test")


# ----------------------------------------------------------------------------- stereo
def test_scan_pairs_count_mismatch(tmp_path):
    root = tmp_path / "carla-highres" / "trainingF"
    write_image(root / "a" / "im0.png", (4, 3))
    write_image(root / "a" / "im1.png", (4, 3))
    write_image(root / "b" / "im0.png", (4, 3))
    with pytest.raises(ValueError, match="Found 2 left files but 1 right files"):
        sm.CarlaStereo(tmp_path)


def test_carla_and_sceneflow_pfm_abs(tmp_path):
    d = -np.abs(RNG.standard_normal((1, 3, 4))).astype(np.float32)  # stored signed
    root = tmp_path / "carla-highres" / "trainingF" / "scene1"
    write_image(root / "im0.png", (4, 3))
    write_image(root / "im1.png", (4, 3))
    write_pfm(root / "disp0GT.pfm", d)
    write_pfm(root / "disp1GT.pfm", d)
    item = sm.CarlaStereo(tmp_path)[0]
    assert len(item) == 3 and item[2].shape == (1, 3, 4)
    np.testing.assert_array_equal(item[2], -d)

    sf = tmp_path / "SceneFlow" / "Monkaa"
    for side in ("left", "right"):
        write_image(sf / "frames_cleanpass" / "a_rain" / side / "0000.png", (4, 3))
        write_pfm(sf / "disparity" / "a_rain" / side / "0000.pfm", d)
    ds = sm.SceneFlowStereo(tmp_path, variant="Monkaa")
    assert len(ds) == 1
    np.testing.assert_array_equal(ds[0][2], -d)
    with pytest.raises(ValueError, match="Unknown value 'monkaa' for argument variant"):
        sm.SceneFlowStereo(tmp_path, variant="monkaa")


def test_kitti_stereo_scales_and_test_split(tmp_path):
    levels = RNG.integers(0, 65536, (3, 4))
    for split in ("training", "testing"):
        for cam in ("colored_0", "colored_1"):
            write_image(tmp_path / "Kitti2012" / split / cam / "000000_10.png", (4, 3))
        for cam in ("image_2", "image_3"):
            write_image(tmp_path / "Kitti2015" / split / cam / "000000_10.png", (4, 3))
    write_png16_gray(tmp_path / "Kitti2012" / "training" / "disp_noc" / "000000_10.png", levels)
    for cam in ("disp_occ_0", "disp_occ_1"):
        write_png16_gray(tmp_path / "Kitti2015" / "training" / cam / "000000_10.png", levels)
    for cls in (sm.Kitti2012Stereo, sm.Kitti2015Stereo):
        img_l, img_r, disp, mask = cls(tmp_path)[0]
        assert disp.shape == (1, 3, 4) and mask is None
        np.testing.assert_allclose(disp[0], levels / 256.0)
        assert cls(tmp_path, split="test")[0][2:] == (None, None)


def test_png_scaled_disparities(tmp_path):
    levels = RNG.integers(0, 65536, (3, 4))
    for side in ("left", "right"):
        write_image(tmp_path / "InStereo2k" / "train" / "s1" / f"{side}.png", (4, 3))
        write_png16_gray(tmp_path / "InStereo2k" / "train" / "s1" / f"{side}_disp.png", levels)
    item = sm.InStereo2k(tmp_path)[0]
    assert len(item) == 3
    np.testing.assert_allclose(item[2][0], levels / 1024.0, rtol=1e-6)

    for sub in ("shapenet", "reflective", "tree", "hole"):
        for side in ("left", "right"):
            write_image(tmp_path / "CREStereo" / sub / f"0_{side}.jpg", (4, 3), fmt="JPEG")
            write_png16_gray(tmp_path / "CREStereo" / sub / f"0_{side}.disp.png", levels)
    ds = sm.CREStereo(tmp_path)
    assert len(ds) == 4
    img_l, img_r, disp, mask = ds[0]
    np.testing.assert_allclose(disp[0], levels / 32.0, rtol=1e-6)
    assert mask is None and img_l.mode == "RGB"


def test_falling_things_depth_to_disparity(tmp_path):
    depth = RNG.integers(100, 5000, (3, 4))
    scene = tmp_path / "FallingThings" / "single" / "002_master_chef_can_16k" / "kitchen_0"
    for side in ("left", "right"):
        write_image(scene / f"000000.{side}.jpg", (4, 3), fmt="JPEG")
        write_png16_gray(scene / f"000000.{side}.depth.png", depth)
    settings = {"camera_settings": [{"intrinsic_settings": {"fx": 768.16}}]}
    (scene / "_camera_settings.json").write_text(json.dumps(settings))
    disp = sm.FallingThingsStereo(tmp_path)[0][2]
    np.testing.assert_allclose(disp[0], 6 * 768.16 * 100 / depth, rtol=1e-5)


def test_sintel_stereo_rgb_encoding_and_masks(tmp_path):
    root = tmp_path / "Sintel" / "training"
    rgb = RNG.integers(0, 256, (3, 4, 3)).astype(np.uint8)
    occ = np.zeros((3, 4), np.uint8)
    occ[0, 0] = 255
    oof = np.zeros((3, 4), np.uint8)
    oof[2, 3] = 255
    for side in ("left", "right"):
        write_image(root / f"final_{side}" / "alley_1" / "frame_0001.png", (4, 3))
    _mkdir(root / "disparities" / "alley_1" / "frame_0001.png")
    Image.fromarray(rgb).save(root / "disparities" / "alley_1" / "frame_0001.png")
    for name, m in (("occlusions", occ), ("outofframe", oof)):
        _mkdir(root / name / "alley_1" / "frame_0001.png")
        Image.fromarray(m).save(root / name / "alley_1" / "frame_0001.png")
    img_l, img_r, disp, valid = sm.SintelStereo(tmp_path)[0]
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    np.testing.assert_allclose(disp[0], r * 4 + g / 64 + b / 16384, rtol=1e-6)
    expected = np.ones((3, 4), bool)
    expected[0, 0] = expected[2, 3] = False
    np.testing.assert_array_equal(valid, expected)
    os.remove(root / "outofframe" / "alley_1" / "frame_0001.png")
    with pytest.raises(FileNotFoundError, match="Out of frame mask"):
        sm.SintelStereo(tmp_path)[0]


def test_eth3d_and_middlebury_masks(tmp_path):
    d = np.abs(RNG.standard_normal((1, 3, 4))).astype(np.float32) + 1
    d[0, 1, 1] = np.inf  # Middlebury's "unknown"
    eth = tmp_path / "ETH3D"
    for split in ("two_view_training", "two_view_test"):
        write_image(eth / split / "delivery" / "im0.png", (4, 3))
        write_image(eth / split / "delivery" / "im1.png", (4, 3))
    write_pfm(eth / "two_view_training_gt" / "delivery" / "disp0GT.pfm", d)
    mask = (RNG.integers(0, 2, (3, 4)) * 255).astype(np.uint8)
    Image.fromarray(mask).save(eth / "two_view_training_gt" / "delivery" / "mask0nocc.png")
    img_l, img_r, disp, valid = sm.ETH3DStereo(tmp_path)[0]
    np.testing.assert_array_equal(valid, mask > 0)
    assert sm.ETH3DStereo(tmp_path, split="test")[0][2:] == (None, None)

    mb = tmp_path / "Middlebury2014"
    for cal in ("perfect", "imperfect"):
        for name in ("im0.png", "im1.png", "im1E.png"):
            write_image(mb / "train" / f"Adirondack-{cal}" / name, (4, 3))
        for name in ("disp0.pfm", "disp1.pfm"):
            write_pfm(mb / "train" / f"Adirondack-{cal}" / name, d)
    write_image(mb / "test" / "Plants" / "im0.png", (4, 3))
    write_image(mb / "test" / "Plants" / "im1.png", (4, 3))
    ds = sm.Middlebury2014Stereo(tmp_path, use_ambient_views=True)
    assert len(ds) == 1 and len(sm.Middlebury2014Stereo(tmp_path, calibration="both")) == 2
    img_l, img_r, disp, valid = ds[0]
    assert disp[0, 1, 1] == 0 and not valid[1, 1] and valid.sum() == 11
    test = sm.Middlebury2014Stereo(tmp_path, split="test", calibration=None)
    assert test[0][2:] == (None, None)
    with pytest.raises(ValueError, match="calibration=None"):
        sm.Middlebury2014Stereo(tmp_path, split="test")
    with pytest.raises(ValueError, match="has calibration settings"):
        sm.Middlebury2014Stereo(tmp_path, calibration=None)
    with pytest.raises(FileNotFoundError, match="additional directory was not found"):
        sm.Middlebury2014Stereo(tmp_path, split="additional")


# ----------------------------------------------------------------------------- detection/seg
def test_widerface_annotations_and_test_split(tmp_path):
    root = tmp_path / "widerface"
    for d in ("WIDER_train", "WIDER_val", "WIDER_test", "wider_face_split"):
        os.makedirs(root / d)
    write_image(root / "WIDER_train" / "images" / "0--Parade" / "a.jpg", (9, 7), fmt="JPEG")
    write_image(root / "WIDER_train" / "images" / "0--Parade" / "b.jpg", (5, 4), fmt="JPEG")
    write_image(root / "WIDER_test" / "images" / "1--Handshaking" / "c.jpg", (6, 6), fmt="JPEG")
    (root / "wider_face_split" / "wider_face_train_bbx_gt.txt").write_text(
        "0--Parade/a.jpg\n2\n"
        "78 221 7 8 2 0 0 0 0 0 \n"
        "1 2 3 4 0 1 1 1 2 1 \n"
        "0--Parade/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0 \n")
    (root / "wider_face_split" / "wider_face_test_filelist.txt").write_text(
        "1--Handshaking/c.jpg\n")
    ds = WIDERFace(tmp_path)
    assert len(ds) == 2 and "Split: train" in repr(ds)
    img, target = ds[0]
    assert img.size == (9, 7)
    assert target["bbox"].dtype == ember.int64
    assert target["bbox"].tolist() == [[78, 221, 7, 8], [1, 2, 3, 4]]
    assert [target[k].tolist() for k in ("blur", "expression", "illumination", "occlusion",
                                         "pose", "invalid")] == [[2, 0], [0, 1], [0, 1], [0, 1],
                                                                 [0, 2], [0, 1]]
    assert ds[1][1]["bbox"].tolist() == [[0, 0, 0, 0]]  # torchvision's zero box
    img, target = WIDERFace(tmp_path, split="test")[0]
    assert img.size == (6, 6) and target is None
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        WIDERFace(tmp_path / "elsewhere")


def test_cityscapes_targets_tuple_and_zip(tmp_path):
    def stem(i):
        return f"aachen_000000_00001{i}"

    members = {}
    for i, size in enumerate(((6, 4), (5, 3))):
        img = f"leftImg8bit/val/aachen/{stem(i)}_leftImg8bit.png"
        write_image(tmp_path / "src" / img, size, seed=i)
        members[img] = (tmp_path / "src" / img).read_bytes()
    labels = np.array([[7, 26], [24, 0]], np.uint8)
    inst = np.array([[7, 26001], [24000, 0]], np.int32)
    gt = {}
    for i in range(2):
        base = f"gtFine/val/aachen/{stem(i)}_gtFine_"
        for name, img in ((base + "labelIds.png", Image.fromarray(labels)),
                          (base + "instanceIds.png", Image.fromarray(inst.astype(np.uint16))),
                          (base + "color.png", Image.new("RGBA", (2, 2), (128, 64, 128, 255)))):
            _mkdir(tmp_path / "src" / name)
            img.save(tmp_path / "src" / name)
            gt[name] = (tmp_path / "src" / name).read_bytes()
        gt[base + "polygons.json"] = json.dumps({"imgHeight": 2, "objects": [i]}).encode()
    root = tmp_path / "cs"
    os.makedirs(root)
    for zname, content in (("leftImg8bit_trainvaltest.zip", members),
                           ("gtFine_trainvaltest.zip", gt)):
        with zipfile.ZipFile(root / zname, "w") as z:
            for k, v in content.items():
                z.writestr(k, v)
    ds = Cityscapes(root, split="val", target_type=["semantic", "polygon", "instance", "color"])
    assert len(ds) == 2
    img, (sem, poly, ins, color) = ds[1]
    assert img.size == (5, 3) and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(sem), labels)
    np.testing.assert_array_equal(np.asarray(ins), inst)
    assert poly == {"imgHeight": 2, "objects": [1]} and color.mode == "RGBA"
    _, sem_only = Cityscapes(root, split="val", target_type="semantic")[0]
    assert isinstance(sem_only, Image.Image)
    assert len(Cityscapes.classes) == 35
    road = Cityscapes.classes[7]
    assert (road.name, road.id, road.train_id, road.color) == ("road", 7, 0, (128, 64, 128))
    with pytest.raises(ValueError, match="Unknown value 'test' for argument split if mode is "
                                         "'coarse'"):
        Cityscapes(root, split="test", mode="coarse")
    with pytest.raises(ValueError, match="Unknown value 'depth' for argument target_type"):
        Cityscapes(root, split="val", target_type="depth")
    with pytest.raises(RuntimeError, match="Dataset not found or incomplete"):
        Cityscapes(root, split="train")


def test_kitti_detection_labels(tmp_path):
    raw = tmp_path / "Kitti" / "raw"
    write_image(raw / "training" / "image_2" / "000001.png", (7, 5))
    write_image(raw / "training" / "image_2" / "000000.png", (6, 4))
    write_image(raw / "testing" / "image_2" / "000000.png", (3, 3))
    os.makedirs(raw / "training" / "label_2")
    (raw / "training" / "label_2" / "000000.txt").write_text(
        "Pedestrian 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 "
        "0.01\nCar 0.50 2 1.5 1 2 3 4 1.5 1.6 3.9 -1 2 30 -1.57\n")
    (raw / "training" / "label_2" / "000001.txt").write_text("")
    ds = Kitti(tmp_path)
    assert len(ds) == 2
    img, target = ds[0]
    assert img.size == (6, 4)
    assert target[0] == {"type": "Pedestrian", "truncated": 0.0, "occluded": 0, "alpha": -0.2,
                         "bbox": [712.4, 143.0, 810.73, 307.92],
                         "dimensions": [1.89, 0.48, 1.2], "location": [1.84, 1.47, 8.41],
                         "rotation_y": 0.01}
    assert target[1]["type"] == "Car" and target[1]["occluded"] == 2
    assert ds[1][1] == []
    img, target = Kitti(tmp_path, train=False)[0]
    assert img.size == (3, 3) and target is None
    with pytest.raises(RuntimeError, match="Dataset not found"):
        Kitti(tmp_path / "none")


def test_sbd_boundaries_and_segmentation_match_scipy(tmp_path):
    sio = pytest.importorskip("scipy.io")
    sparse = pytest.importorskip("scipy.sparse")
    h, w = 4, 5
    seg = RNG.integers(0, 21, (h, w)).astype(np.uint8)
    cells = np.empty((20, 1), dtype=object)
    for c in range(20):
        cells[c, 0] = sparse.csc_matrix(RNG.random((h, w)) < 0.3)
    write_image(tmp_path / "img" / "2008_000002.jpg", (w, h), fmt="JPEG")
    os.makedirs(tmp_path / "cls")
    mat_path = tmp_path / "cls" / "2008_000002.mat"
    sio.savemat(mat_path, {"GTcls": {"Segmentation": seg, "Boundaries": cells,
                                     "CategoriesPresent": np.array([[1, 15]])}})
    (tmp_path / "val.txt").write_text("2008_000002\n")
    # torchvision's reading, with SciPy, as the reference.
    mat = sio.loadmat(mat_path)
    expected = np.stack([mat["GTcls"][0]["Boundaries"][0][i][0].toarray() for i in range(20)])
    img, bounds = SBDataset(tmp_path, image_set="val")[0]
    assert img.size == (w, h) and bounds.shape == (20, h, w)
    assert bounds.dtype == expected.dtype
    np.testing.assert_array_equal(bounds, expected)
    img, target = SBDataset(tmp_path, image_set="val", mode="segmentation")[0]
    assert target.mode == "L"
    np.testing.assert_array_equal(np.asarray(target), seg)
    with pytest.raises(ValueError, match="Unknown value 'edges' for argument mode"):
        SBDataset(tmp_path, mode="edges")
    with pytest.raises(RuntimeError, match="no image set file"):
        SBDataset(tmp_path, image_set="train")


# ----------------------------------------------------------------------------- utils
def _flow_to_image_reference(flow):
    """The Middlebury colour code in float64 (Baker et al. 2007), written independently."""
    ncols = [15, 6, 4, 11, 13, 6]
    wheel = []
    for seg, n in enumerate(ncols):
        ramp = np.floor(255 * np.arange(n) / n)
        full, zero = np.full(n, 255.0), np.zeros(n)
        wheel.append([np.stack([full, ramp, zero], 1), np.stack([255 - ramp, full, zero], 1),
                      np.stack([zero, full, ramp], 1), np.stack([zero, 255 - ramp, full], 1),
                      np.stack([ramp, zero, full], 1), np.stack([full, zero, 255 - ramp], 1)
                      ][seg])
    wheel = np.concatenate(wheel)
    u, v = flow[0].astype(np.float64), flow[1].astype(np.float64)
    rad = np.sqrt(u**2 + v**2)
    rad = rad / (rad.max() + np.finfo(np.float32).eps)
    fk = (np.arctan2(-v, -u) / np.pi + 1) / 2 * 54
    k0 = np.floor(fk).astype(int)
    k1 = np.where(k0 + 1 == 55, 0, k0 + 1)
    f = (fk - k0)[..., None]
    col = (1 - f) * wheel[k0] / 255 + f * wheel[k1] / 255
    return (255 * (1 - rad[..., None] * (1 - col))).transpose(2, 0, 1)


def test_flow_to_image_colours():
    flow = np.zeros((2, 2, 3), np.float32)
    flow[0, 0, 0] = 2.0  # right, the largest motion: pure red
    flow[0, 0, 1] = -2.0  # left: the wheel's cyan-blue entry 27 = (0, 209, 255)
    img = flow_to_image(ember.tensor(flow))
    assert img.dtype == ember.uint8 and tuple(img.shape) == (3, 2, 3)
    out = img.numpy()
    assert out[:, 0, 0].tolist() == [255, 0, 0]
    assert out[:, 0, 1].tolist() == [0, 209, 255]
    assert out[:, 1, 2].tolist() == [255, 255, 255]  # no motion: white
    rand = RNG.standard_normal((2, 2, 6, 7)).astype(np.float32)
    batch = flow_to_image(ember.tensor(rand)).numpy()
    assert batch.shape == (2, 3, 6, 7)
    # Each image of a batch is normalised by the whole batch's largest motion.
    ref = _flow_to_image_reference(np.concatenate([rand[0], rand[1]], axis=2))
    got = np.concatenate([batch[0], batch[1]], axis=2).astype(np.float64)
    assert np.abs(got - ref).max() <= 1.0  # float32 vs float64, then floor
    with pytest.raises(ValueError, match="dtype"):
        flow_to_image(ember.tensor(flow.astype(np.float64)))
    with pytest.raises(ValueError, match=r"shape \(2, H, W\) or \(N, 2, H, W\)"):
        flow_to_image(ember.zeros(3, 4, 4))


def test_draw_keypoints_points_lines_visibility():
    img = ember.zeros(3, 20, 30, dtype=ember.uint8)
    kpts = ember.tensor([[[5.0, 5.0], [25.0, 5.0], [5.0, 15.0]]])
    out = draw_keypoints(img, kpts, connectivity=[(0, 1), (1, 2)], colors="red", radius=2,
                         width=1, visibility=ember.tensor([[True, True, False]]))
    arr = out.numpy()
    assert out.dtype == ember.uint8 and arr.shape == (3, 20, 30)
    # Points first, then lines over them (torchvision's order): the dots' tops stay red.
    assert arr[:, 3, 5].tolist() == [255, 0, 0] and arr[:, 3, 25].tolist() == [255, 0, 0]
    assert arr[:, 13, 5].tolist() == [0, 0, 0]  # invisible point
    assert arr[:, 5, 15].tolist() == [255, 255, 255]  # the line, in Pillow's default ink
    assert arr[:, 10, 15].tolist() == [0, 0, 0]  # the line (1, 2) touches an invisible point
    assert img.numpy().max() == 0  # the input is not modified
    fimg = draw_keypoints(ember.zeros(3, 8, 8), ember.tensor([[[4.0, 4.0]]]), colors="blue")
    assert fimg.dtype == ember.float32 and fimg.numpy()[:, 3, 4].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"keypoints must be of shape \(num_instances, K, 2\)"):
        draw_keypoints(img, ember.zeros(3, 2))
    with pytest.raises(ValueError, match="same dimensionality"):
        draw_keypoints(img, kpts, visibility=ember.ones(1, 2, dtype=ember.bool))
    with pytest.raises(ValueError, match="Pass an RGB image"):
        draw_keypoints(ember.zeros(1, 8, 8, dtype=ember.uint8), kpts)


# ----------------------------------------------------------------------------- downloads
def _zip_bytes(members: dict) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _png_bytes(size) -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buf, format="PNG")
    return buf.getvalue()


def test_kitti_download_from_local_server(tmp_path, file_server, monkeypatch):
    file_server.files["/kitti/data_object_image_2.zip"] = _zip_bytes({
        "training/image_2/000000.png": _png_bytes((4, 3)),
        "testing/image_2/000000.png": _png_bytes((2, 2))})
    file_server.files["/kitti/data_object_label_2.zip"] = _zip_bytes({
        "training/label_2/000000.txt": b"Car 0 0 0 1 2 3 4 1 1 1 0 0 5 0\n"})
    monkeypatch.setattr(Kitti, "data_url", file_server.url + "/kitti/")
    ds = Kitti(tmp_path, download=True)
    assert ds[0][1][0]["bbox"] == [1.0, 2.0, 3.0, 4.0]
    assert sorted(file_server.requests) == ["/kitti/data_object_image_2.zip",
                                            "/kitti/data_object_label_2.zip"]
    Kitti(tmp_path, download=True)  # already there: nothing fetched again
    assert len(file_server.requests) == 2


def test_widerface_download_checks_md5(tmp_path, file_server, monkeypatch):
    import hashlib

    from embervision.datasets import widerface

    files = []
    for _, _, name in WIDERFace.FILE_LIST:
        stem = name[:-4]
        data = _zip_bytes({f"{stem}/images/0--Parade/x.jpg": _png_bytes((3, 3))})
        file_server.files[f"/drive/{name}"] = data
        files.append((name, hashlib.md5(data).hexdigest(), name))
    split = _zip_bytes({"wider_face_split/wider_face_train_bbx_gt.txt":
                        b"0--Parade/x.jpg\n1\n1 1 2 2 0 0 0 0 0 0\n"})
    file_server.files["/wider_face_split.zip"] = split
    monkeypatch.setattr(widerface, "_GDRIVE", file_server.url + "/drive/{}")
    monkeypatch.setattr(WIDERFace, "FILE_LIST", files)
    monkeypatch.setattr(WIDERFace, "ANNOTATIONS_FILE", (
        file_server.url + "/wider_face_split.zip", hashlib.md5(split).hexdigest(),
        "wider_face_split.zip"))
    ds = WIDERFace(tmp_path, download=True)
    assert len(ds) == 1 and ds[0][1]["bbox"].tolist() == [[1, 1, 2, 2]]
