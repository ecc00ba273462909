"""Saying when the target forced older versions (``note: NAME X, not Y: ...``), and
``--fail-on-downgrade`` for CI, shared by download, install and lock."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["add_downgrade_option", "report_downgrades"]


def add_downgrade_option(parser: argparse.ArgumentParser) -> None:
    """``--fail-on-downgrade``."""
    parser.add_argument(
        "--fail-on-downgrade",
        action="store_true",
        help="fail when the target forces a project below the newest release its requirements "
        "allow (for CI)",
    )


def report_downgrades(args: argparse.Namespace, resolutions: Sequence[Any], index: Any) -> None:
    """One line per project the target forced below its newest allowed release (stderr, unless
    ``-q``); with ``--fail-on-downgrade``, an error listing them instead."""
    import sys

    from tagpip.errors import TagpipError
    from tagpip.resolution import downgrades

    lines: list[str] = []
    for resolution in resolutions:
        # With several targets, each line says whose it is.
        whose = f" (for {resolution.target.describe()})" if len(resolutions) > 1 else ""
        for downgrade in downgrades(resolution, index):
            if downgrade.describe() + whose not in lines:
                lines.append(downgrade.describe() + whose)
    if not lines:
        return
    if getattr(args, "fail_on_downgrade", False):
        raise TagpipError(
            "the target forces older versions (--fail-on-downgrade):\n"
            + "\n".join(f"  {line}" for line in lines),
            hint="choose a target the newer releases support, or pin these versions",
        )
    if not args.quiet:
        sys.stderr.write("".join(f"note: {line}\n" for line in lines))
