"""The command-line front end: argparse, exit codes, and turning errors into words.

Each command lives in its own module under :mod:`tagpip.cli.commands`; what several commands
share has a module of its own here. Only this package prints. The entry point (``main``,
``console``, ``build_parser``) is :mod:`tagpip.cli.entry`.

Exit status: 0 success, 1 a failure the user can act on (bad input, no wheel, network), 2 a
usage error, 130 interrupted.
"""

from __future__ import annotations

from tagpip.cli.entry import build_parser, console, main

__all__ = ["build_parser", "console", "main"]
