"""The training curves as a PNG, drawn with Pillow's ImageDraw (matplotlib is not a dependency).

Two panels side by side, loss and accuracy against the epoch, each with axes, "nice" tick values
(1, 2 or 5 times a power of ten), grid lines, a legend and a title; train in one colour, test in
another.

    >>> history = [{"epoch": 1, "train_loss": 0.9, "test_loss": 0.7,
    ...             "train_accuracy": 0.70, "test_accuracy": 0.76}, ...]
    >>> plot_curves(history, "runs/x/curves.png")
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

__all__ = ["nice_ticks", "plot_curves"]

# Panel geometry (pixels) and colours: colour-blind-safe blue/orange (the Tableau pair).
_PANEL_W, _PANEL_H = 480, 360
_MARGIN_L, _MARGIN_R, _MARGIN_T, _MARGIN_B = 64, 16, 36, 48
_TRAIN, _TEST = (31, 119, 180), (255, 127, 14)
_AXIS, _GRID, _TEXT = (40, 40, 40), (225, 225, 225), (20, 20, 20)


def _font(size: int):
    # Pillow >= 10.1 ships a scalable default font; older versions only the bitmap one.
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow 10.0
        return ImageFont.load_default()


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]``.

    The step is 1, 2 or 5 times a power of ten (the usual plotting rule), so labels read well.

    Example:
        >>> nice_ticks(0.23, 0.91)
        [0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    # Integer multiples of the step (no accumulated float error), rounded for clean labels.
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{value:.{decimals}f}"


def _panel(draw: ImageDraw.ImageDraw, left: int, title: str, epochs: Sequence[float],
           series: Sequence[tuple[str, Sequence[float], tuple[int, int, int]]],
           legend_at: str, font, small) -> None:
    """One panel: axes, ticks, grid, the lines with markers, legend (``'top'`` or
    ``'bottom'`` right corner, where the curves usually are not), title."""
    x0, x1 = left + _MARGIN_L, left + _PANEL_W - _MARGIN_R
    y0, y1 = _MARGIN_T, _PANEL_H - _MARGIN_B  # y0 top, y1 bottom (pixels grow downwards)
    values = [v for _, ys, _ in series for v in ys if math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.04  # keep the markers off the frame
    yticks = nice_ticks(low - pad, high + pad)
    ylo, yhi = yticks[0], yticks[-1]
    xlo, xhi = (min(epochs), max(epochs)) if epochs else (0.0, 1.0)
    if xhi == xlo:  # one epoch: centre the point
        xlo, xhi = xlo - 1, xhi + 1

    def px(x: float) -> float:
        return x0 + (x - xlo) / (xhi - xlo) * (x1 - x0)

    def py(y: float) -> float:
        return y1 - (y - ylo) / (yhi - ylo) * (y1 - y0)

    ystep = yticks[1] - yticks[0] if len(yticks) > 1 else 1.0
    for t in yticks:
        y = py(t)
        draw.line([(x0, y), (x1, y)], fill=_GRID)
        draw.line([(x0 - 4, y), (x0, y)], fill=_AXIS)
        draw.text((x0 - 6, y), _label(t, ystep), fill=_TEXT, font=small, anchor="rm")
    # Integer epochs on the x axis; thinned out so that at most ~10 labels show.
    every = max(1, math.ceil((max(epochs, default=1) - min(epochs, default=1) + 1) / 10))
    for e in sorted({int(e) for e in epochs}):
        if (e - int(min(epochs))) % every:
            continue
        x = px(e)
        draw.line([(x, y1), (x, y1 + 4)], fill=_AXIS)
        draw.text((x, y1 + 6), str(e), fill=_TEXT, font=small, anchor="mt")
    draw.line([(x0, y0), (x0, y1), (x1, y1)], fill=_AXIS, width=1)
    draw.text(((x0 + x1) / 2, _PANEL_H - 8), "epoch", fill=_TEXT, font=small, anchor="mb")
    draw.text(((x0 + x1) / 2, y0 - 10), title, fill=_TEXT, font=font, anchor="mb")

    for _, ys, colour in series:
        points = [(px(e), py(v)) for e, v in zip(epochs, ys) if math.isfinite(v)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([(x - 3, y - 3), (x + 3, y + 3)], fill=colour)

    # Legend in the top-right corner of the plotting area.
    row = 16
    lx = x1 - 90
    ly = y0 + 6 if legend_at == "top" else y1 - 6 - row * len(series)
    draw.rectangle([(lx - 6, ly - 4), (x1 - 4, ly + row * len(series))], fill=(255, 255, 255),
                   outline=_GRID)
    for i, (name, _, colour) in enumerate(series):
        y = ly + row * i + row / 2 - 2
        draw.line([(lx, y), (lx + 20, y)], fill=colour, width=2)
        draw.text((lx + 26, y), name, fill=_TEXT, font=small, anchor="lm")


def plot_curves(history: Sequence[dict], path, title: str | None = None) -> str:
    """Draw loss and accuracy per epoch (train and test) into a PNG file.

    Args:
        history: one dict per epoch with ``epoch``, ``train_loss``, ``test_loss``,
            ``train_accuracy`` and ``test_accuracy`` (accuracies as fractions in [0, 1]).
        path: the PNG file to write (written to a temporary name, then renamed: a reader never
            sees half an image).
        title: a line drawn above both panels (e.g. the run's dataset and model).

    Returns:
        ``path``.
    """
    header = 28 if title else 0
    image = Image.new("RGB", (2 * _PANEL_W, _PANEL_H + header), "white")
    panels = Image.new("RGB", (2 * _PANEL_W, _PANEL_H), "white")
    draw = ImageDraw.Draw(panels)
    font, small = _font(15), _font(12)
    epochs = [float(h["epoch"]) for h in history]

    def column(key: str) -> list[float]:
        return [float(h[key]) for h in history]

    _panel(draw, 0, "loss", epochs,
           [("train", column("train_loss"), _TRAIN), ("test", column("test_loss"), _TEST)],
           "top", font, small)
    accuracies = [("train", [100 * a for a in column("train_accuracy")], _TRAIN),
                  ("test", [100 * a for a in column("test_accuracy")], _TEST)]
    _panel(draw, _PANEL_W, "accuracy (%)", epochs, accuracies, "bottom", font,
           small)
    image.paste(panels, (0, header))
    if title:
        ImageDraw.Draw(image).text((image.width / 2, header - 6), title, fill=_TEXT,
                                   font=_font(16), anchor="mb")
    path = os.fspath(path)
    tmp = path + ".tmp"
    image.save(tmp, format="PNG")
    os.replace(tmp, path)
    return path
