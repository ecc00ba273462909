"""``--explain NAME`` on lock, download and install: once the resolution is done, what
``tagpip why NAME`` says of it, on stderr.

The words come from :func:`tagpip.resolution.explain`, which computes them after the resolution,
from the index's data and the rules the resolution recorded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagpip.index import Index
    from tagpip.resolution import Resolution

__all__ = ["add_explain_option", "report_explanations"]


def add_explain_option(parser: argparse.ArgumentParser) -> None:
    """``--explain NAME`` for lock, download and install."""
    parser.add_argument(
        "--explain",
        action="append",
        default=[],
        metavar="NAME",
        help="once resolved, explain NAME as tagpip why does, on stderr (repeatable)",
    )


def report_explanations(
    args: argparse.Namespace,
    resolutions: Sequence[Resolution],
    index: Index,
) -> None:
    """``--explain``: each named project for each resolution, on stderr (asked for by name, so
    printed even under ``-q``); a project a resolution lacks is said so, not an error, since the
    run itself succeeded."""
    from tagpip.resolution import NotResolved, explain

    names = getattr(args, "explain", None) or []
    if not names:
        return
    blocks = []
    for name in names:
        for resolution in resolutions:
            try:
                lines = explain(name, resolution, index).lines()
            except NotResolved as error:
                lines = error.message.splitlines()
            blocks.append("\n".join(lines))
    sys.stderr.write("\n\n".join(blocks) + "\n")
