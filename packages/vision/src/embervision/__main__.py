"""``python -m embervision train|predict ...``: the two commands under one entry point.

    python -m embervision train --epochs 3
    python -m embervision predict image.png --checkpoint runs/embedded-lenet/best.pt

(``python -m embervision.train`` and ``python -m embervision.predict`` work as well, as do the
console scripts ``embervision-train`` and ``embervision-predict``.)
"""

from __future__ import annotations

import sys

_USAGE = """usage: python -m embervision {train,predict} [options]

commands:
  train     train an image classifier (python -m embervision train --help)
  predict   classify images with a trained checkpoint (python -m embervision predict --help)
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to :func:`embervision.train.cli` or :func:`embervision.predict.main`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, end="")
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from .train import cli

        return cli(rest)
    if command == "predict":
        from .predict import main as predict_main

        return predict_main(rest)
    print(f"{_USAGE}\nembervision: error: unknown command {command!r}; use train or predict",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
