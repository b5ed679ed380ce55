"""embervision.utils: make_grid layout (literal sizes and positions), save_image rounding,
bounding boxes and segmentation masks drawn where they should be."""

import io as pyio

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import utils


def numbered(b=5, c=3, h=4, w=6):
    """Image k is filled with the value k + 1 (so cells are recognisable)."""
    return (ember.arange(1, b + 1, dtype=ember.float32).view(b, 1, 1, 1)
            * ember.ones(b, c, h, w))


def test_make_grid_layout():
    grid = utils.make_grid(numbered(), nrow=2, padding=1, pad_value=-1.0)
    # 5 images, 2 per row -> 3 rows; cells are (4 + 1) x (6 + 1), plus the far border.
    assert grid.shape == (3, 3 * 5 + 1, 2 * 7 + 1)
    g = grid.numpy()
    for k in range(5):
        y, x = divmod(k, 2)
        top, left = y * 5 + 1, x * 7 + 1
        assert (g[:, top:top + 4, left:left + 6] == k + 1).all()
    assert (g[:, 11:15, 8:14] == -1).all()  # the empty sixth cell
    assert (g[:, 0] == -1).all() and (g[:, :, 0] == -1).all() and (g[:, -1] == -1).all()
    assert (g[:, :, 7] == -1).all()  # the column between the two images of a row
    assert np.count_nonzero(g == -1) == 3 * (16 * 15 - 5 * 24)


def test_make_grid_defaults_and_shapes():
    assert utils.make_grid(numbered(b=10)).shape == (3, 2 * 6 + 2, 8 * 8 + 2)  # nrow=8
    assert utils.make_grid(numbered(b=3), nrow=8).shape == (3, 8, 3 * 8 + 2)
    one = ember.rand(3, 4, 6)
    assert utils.make_grid(one) is not None and utils.make_grid(one).shape == (3, 4, 6)
    gray = utils.make_grid(ember.rand(4, 1, 4, 4), nrow=2)
    assert gray.shape == (3, 14, 14) and bool((gray[0] == gray[2]).all())
    listed = utils.make_grid([ember.zeros(3, 4, 4), ember.ones(3, 4, 4)], padding=0)
    assert listed.shape == (3, 4, 8) and float(listed[:, :, 4:].min()) == 1.0
    assert utils.make_grid(ember.rand(5, 7)).shape == (3, 5, 7)


def test_make_grid_normalize():
    x = ember.tensor([[[[2.0, 4.0]]], [[[6.0, 10.0]]]])
    glob = utils.make_grid(x, normalize=True, padding=0)
    np.testing.assert_allclose(glob.numpy()[0, 0], [0.0, 0.25, 0.5, 1.0])
    each = utils.make_grid(x, normalize=True, scale_each=True, padding=0)
    np.testing.assert_allclose(each.numpy()[0, 0], [0.0, 1.0, 0.0, 1.0])
    ranged = utils.make_grid(x, normalize=True, value_range=(4.0, 8.0), padding=0)
    np.testing.assert_allclose(ranged.numpy()[0, 0], [0.0, 0.0, 0.5, 1.0])
    assert float(x.max()) == 10.0  # the input is not modified
    with pytest.raises(TypeError, match="value_range"):
        utils.make_grid(x, normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="list of tensors"):
        utils.make_grid([np.zeros((3, 2, 2))])


def test_save_image_rounds_to_the_nearest_level(tmp_path):
    img = ember.tensor([[[0.0, 0.5, 0.999, 1.0, 0.002]]]).expand(3, 1, 5)
    path = tmp_path / "levels.png"
    utils.save_image(img, path)
    with Image.open(path) as im:
        assert np.asarray(im)[0, :, 0].tolist() == [0, 128, 255, 255, 1]
    buffer = pyio.BytesIO()
    utils.save_image(numbered(b=4) / 4, buffer, format="PNG", nrow=2, padding=1)
    buffer.seek(0)
    with Image.open(buffer) as im:
        assert im.size == (15, 11)
        assert np.asarray(im)[1, 1].tolist() == [64, 64, 64]  # image 1: 0.25 * 255 + 0.5
    with pytest.raises(ValueError, match="format"):
        utils.save_image(img, tmp_path / "noext")


def test_draw_bounding_boxes_outline():
    image = ember.full((3, 20, 30), 50, dtype=ember.uint8)
    out = utils.draw_bounding_boxes(image, ember.tensor([[2, 3, 10, 12]]), colors="red")
    o = out.numpy()
    assert out.dtype == ember.uint8 and out.shape == (3, 20, 30)
    red = (o[0] == 255) & (o[1] == 0) & (o[2] == 0)
    expected = np.zeros((20, 30), bool)
    expected[3:13, 2:11] = True
    expected[4:12, 3:10] = False  # a 1-pixel outline of the box [x 2..10] x [y 3..12]
    np.testing.assert_array_equal(red, expected)
    assert (o[:, ~expected] == 50).all()
    assert int(image.max()) == 50  # a new image is returned
    thick = utils.draw_bounding_boxes(image, ember.tensor([[2, 3, 10, 12]]), colors=(0, 255, 0),
                                      width=2).numpy()
    assert thick[1, 4, 3] == 255 and thick[1, 5, 4] == 50


def test_draw_bounding_boxes_fill_labels_and_colours():
    image = ember.zeros(3, 40, 60, dtype=ember.uint8)
    boxes = ember.tensor([[1.0, 1.0, 30.0, 30.0], [35.0, 5.0, 55.0, 35.0]])
    out = utils.draw_bounding_boxes(image, boxes, fill=True, colors=["blue", (255, 255, 0)])
    o = out.numpy()
    assert o[2, 15, 15] == 100 and o[0, 15, 15] == 0  # blue at alpha 100 over black
    assert o[0, 20, 45] == 100 and o[1, 20, 45] == 100 and o[2, 20, 45] == 0
    labelled = utils.draw_bounding_boxes(image, boxes, labels=["cat", "dog"], colors="white")
    text = labelled.numpy()[0, 3:20, 3:28]  # inside box 0, clear of its outline
    assert (text > 0).sum() > 10  # the label's (antialiased) pixels
    palette = utils.draw_bounding_boxes(image, boxes[1:]).numpy()
    assert palette[:, 5, 40].tolist() == [0, 0, 0]  # default colour of box 0 is black
    assert utils._generate_color_palette(2)[1] == ((2**25 - 1) % 255, (2**15 - 1) % 255,
                                                   (2**21 - 1) % 255)


def test_draw_bounding_boxes_gray_float_and_errors():
    gray = utils.draw_bounding_boxes(ember.zeros(1, 8, 8, dtype=ember.uint8),
                                     ember.tensor([[0, 0, 7, 7]]), colors="white")
    assert gray.shape == (3, 8, 8) and int(gray[:, 0, 0].sum()) == 3 * 255
    as_float = utils.draw_bounding_boxes(ember.zeros(3, 8, 8), ember.tensor([[0, 0, 7, 7]]),
                                         colors="white")
    assert as_float.dtype == ember.float32 and float(as_float[0, 0, 0]) == 1.0
    image = ember.zeros(3, 8, 8, dtype=ember.uint8)
    with pytest.raises(ValueError, match="uint8 or float"):
        utils.draw_bounding_boxes(image.to(ember.int32), ember.tensor([[0, 0, 1, 1]]))
    with pytest.raises(ValueError, match="not batches"):
        utils.draw_bounding_boxes(image[None], ember.tensor([[0, 0, 1, 1]]))
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        utils.draw_bounding_boxes(image, ember.tensor([[5, 0, 1, 1]]))
    with pytest.raises(ValueError, match="labels"):
        utils.draw_bounding_boxes(image, ember.tensor([[0, 0, 1, 1]]), labels=["a", "b"])
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert utils.draw_bounding_boxes(image, ember.zeros(0, 4)) is image


def test_draw_segmentation_masks():
    image = ember.full((3, 4, 5), 100, dtype=ember.uint8)
    masks = ember.zeros(2, 4, 5, dtype=ember.bool)
    masks[0, :2] = True
    masks[1, 1:3] = True
    out = utils.draw_segmentation_masks(image, masks, alpha=1.0, colors=["red", (0, 0, 250)])
    o = out.numpy()
    assert o[:, 0, 0].tolist() == [255, 0, 0]
    assert o[:, 1, 0].tolist() == [0, 0, 0]  # covered by both masks: black
    assert o[:, 2, 0].tolist() == [0, 0, 250]
    assert o[:, 3, 0].tolist() == [100, 100, 100]
    half = utils.draw_segmentation_masks(image, masks[0], alpha=0.5, colors="red").numpy()
    assert half[:, 0, 0].tolist() == [177, 50, 50]  # 100 * 0.5 + 255 * 0.5, truncated
    assert half[:, 3, 3].tolist() == [100, 100, 100]
    with pytest.raises(ValueError, match="dtype bool"):
        utils.draw_segmentation_masks(image, masks.to(ember.uint8))
    with pytest.raises(ValueError, match="same height and width"):
        utils.draw_segmentation_masks(image, masks[:, :3])
    with pytest.raises(ValueError, match="RGB"):
        utils.draw_segmentation_masks(image[:1], masks)
    with pytest.raises(ValueError, match="Number of colors"):
        utils.draw_segmentation_masks(image, masks, colors=["red"])
