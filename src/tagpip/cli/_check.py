"""`tagpip check`. (Stub: being built.)"""

from __future__ import annotations

import argparse
from typing import Any

from tagpip.errors import TagpipError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the `check` command to the top-level parser."""
    parser = subparsers.add_parser("check", help="(not built yet)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Not built yet."""
    raise TagpipError("'tagpip check' is not built yet")
