"""What emberaudio's commands (``emberaudio-classify``, ``-transcribe``, ``-finetune``) share:
:class:`UserError` and the ``main`` wrapper that reports it the way argparse reports a bad
option. (embertext's command has the same few lines: the two packages do not depend on each
other, and a CLI wrapper has no natural home in core.)"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

__all__ = ["UserError", "run_command"]


class UserError(Exception):
    """A mistake the user can fix (bad option, missing file): printed without a traceback."""


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
                body: Callable[[argparse.Namespace], object]) -> int:
    """Parse ``argv`` with ``parser`` and run ``body(args)``.

    Returns:
        The exit status: 0, or 2 after a :class:`UserError`, printed to stderr as
        ``<prog>: error: <message>`` (argparse's format and status for usage errors).
    """
    args = parser.parse_args(argv)
    try:
        body(args)
    except UserError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0
