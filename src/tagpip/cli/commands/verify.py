"""``tagpip verify DIR --python COMMAND``: import everything a folder or bundle provides with the
target's own interpreter, and say at a glance what failed (docs/verify.md).

The work is :func:`tagpip.verify.verifier.verify`; this module settles the options and prints
the report (:mod:`tagpip.cli.verifying` runs the check with a progress line and renders it: a
line per distribution, a summary), or ``--json`` for CI.
"""

from __future__ import annotations

import argparse
from typing import Any

from tagpip.cli.verifying import render_report, verify_with, warn_report

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``verify`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "verify",
        help="import what a folder or bundle holds with the target's own interpreter",
        description="Run the target's interpreter (a path, or a command line: a container, a "
        "chroot, qemu-user) with DIR on its import path, import every module the "
        "distributions in DIR provide, one distribution per fresh process with a time limit "
        "per import, and report what failed (docs/verify.md).",
    )
    parser.add_argument(
        "dir",
        metavar="DIR",
        help="an install --target folder, a bundle's zip or folder, or a layer (python/ inside)",
    )
    parser.add_argument(
        "--python",
        required=True,
        metavar="COMMAND",
        help="the target's interpreter: its path, or a command line that runs it, split as a "
        "shell would ('docker run --rm -i -v {dir}:/var/task IMAGE python3'); {dir} stands "
        "for DIR (a zip's unpacked copy); tagpip adds -B -s - and writes the check to its "
        "standard input",
    )
    parser.add_argument(
        "--inside",
        metavar="PATH",
        help="where the interpreter sees DIR, when the command mounts it elsewhere (default: "
        "DIR's own path)",
    )
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="PATH",
        help="put PATH (as the interpreter sees it) on sys.path after DIR, e.g. a layer's "
        "/opt/python; its distributions count as installed but are not imported",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="the time limit of each import and smoke call (default 60); one still running "
        "is stopped and reported",
    )
    parser.add_argument(
        "--start-timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long the interpreter may take to start and report itself (default 300: a "
        "container may start slowly)",
    )
    parser.add_argument(
        "--smoke",
        metavar="FILE",
        help="also run the calls in FILE, one 'module:expression' a line (or a module to "
        "import), each evaluated in its module's namespace; an exception or False fails it",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="NAME",
        help="do not import the module NAME (a package with everything under it), or any "
        "module of the distribution NAME",
    )
    parser.add_argument(
        "--no-site",
        action="store_true",
        help="start the interpreter with -S, without its own site-packages",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    group = parser.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="print only failures and the summary (-qq: nothing but errors)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="also print the interpreter's sys.path, what it sees outside DIR, and its "
        "standard error",
    )
    group.add_argument("--debug", action="store_true", help="let internal errors show a traceback")
    parser.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the time limit must be more than 0")
    return value


def run(args: argparse.Namespace) -> int:
    """Verify, render, and exit 1 when anything failed."""
    import json
    import sys
    from pathlib import Path

    report = verify_with(
        Path(args.dir),
        args.python,
        inside=args.inside,
        extra_paths=args.path,
        timeout=args.timeout,
        start_timeout=args.start_timeout,
        smoke=args.smoke,
        skip=args.skip,
        site_packages=not args.no_site,
        quiet=args.quiet,
    )
    warn_report(args.quiet, report)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=False))
    elif args.quiet < 2:
        print("\n".join(render_report(report, quiet=args.quiet, verbose=args.verbose)))
    if args.verbose and report.stderr.strip() and not args.json:
        sys.stderr.write("the interpreter's standard error:\n" + report.stderr.rstrip() + "\n")
    sys.stdout.flush()
    return 0 if report.ok else 1
