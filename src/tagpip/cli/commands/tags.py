"""`tagpip tags`: show a target's compatible tags, its marker values, or the whole target.

The tags print one per line, most preferred first, exactly as the target's interpreter would rank
them; ``--json`` prints the target in the format ``--target-file`` reads, so a target can be
captured on the real machine (``tagpip tags --json > lambda.json``) and used anywhere. The pipeline
is imported inside :func:`run` to keep ``tagpip`` start-up light.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tagpip.cli.options import add_target_options, named_target
from tagpip.errors import Span, UsageError

__all__ = ["register", "run"]

_BLOCK_SOURCE = "<command line>"


def register(subparsers: Any) -> None:
    """Add the `tags` command to the top-level parser."""
    parser = subparsers.add_parser(
        "tags",
        help="print a target's compatible wheel tags, most preferred first",
        description="Print the wheel tags a target accepts, most preferred first. With no "
        "target options, the tags of the Python running tagpip.",
    )
    parser.add_argument(
        "block",
        nargs="?",
        metavar="[TAG BLOCK]",
        help="a tag block such as '[manylinux1,cp36,x86_64]' (quote it for the shell)",
    )
    add_target_options(parser)
    show = parser.add_mutually_exclusive_group()
    show.add_argument("--markers", action="store_true", help="print the marker values instead")
    show.add_argument("--json", action="store_true", help="print the whole target as JSON")
    show.add_argument(
        "--list-presets",
        action="store_true",
        help="print every preset: the place, its Pythons, its platform and the source of each fact",
    )
    show.add_argument(
        "--pex-platform",
        action="store_true",
        help="print the target as a pex --complete-platform file",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print what was asked for; bad input raises TagpipError for the shell to render."""
    from tagpip.target import (
        MARKER_NAMES,
        Target,
        TargetOptions,
        target_for_block,
        target_from_sources,
    )

    if args.list_presets:
        _list_presets()
        return 0

    named = [
        (option, value)
        for option, value in (
            ("--preset", args.preset),
            ("--from-python", args.from_python),
            ("--target-file", args.target_file),
        )
        if value
    ]
    if len(named) > 1:
        raise UsageError(f"{named[0][0]} and {named[1][0]} both name the target; give one")
    base: Target | None = None
    took_version = False
    if named:
        base, took_version = named_target(*named[0], args.python_version)

    blocks = []
    if args.block is not None:
        from tagpip.tags import parse_tag_block

        text = args.block
        span = Span(source=_BLOCK_SOURCE, line=1, start=0, end=len(text), text=text)
        blocks.append(parse_tag_block(text, span))

    command_line = TargetOptions.from_strings(
        args.platform, None if took_version else args.python_version, args.implementation, args.abi
    )
    target = target_from_sources(command_line=command_line, base=base, blocks=blocks)
    sys.stderr.write("".join(f"warning: {note}\n" for note in target.notes))
    shown = target_for_block(target, blocks[0]) if blocks else target

    if args.json:
        _out(json.dumps(shown.to_json(), indent=2))
    elif args.pex_platform:
        from tagpip.target import pex_platform

        _out(json.dumps(pex_platform(shown), indent=2))
    elif args.markers:
        values = shown.marker_environment
        for name in MARKER_NAMES:
            value = values.get(name)
            _out(f"{name} = {json.dumps(value) if value is not None else 'undefined'}")
    else:
        sys.stdout.write("".join(f"{tag}\n" for tag in shown.tags))
    return 0


def _list_presets() -> None:
    """Each place with its facts and their source, then its presets: name, Python (the default,
    then the others ``--python-version`` picks), and the platforms, one preset a line."""
    from tagpip.target import PRESETS

    width = max(len(name) for name in PRESETS)
    shown: set[str] = set()
    for name, one in PRESETS.items():
        release = one.release
        assert release is not None
        if release.key not in shown:
            shown.add(release.key)
            note = f" ({release.note})" if release.note else ""
            _out(f"{release.title}: {release.facts()}{note}")
            _out(f"  source: {release.source}")
        python = one.python_version + (f" (also {', '.join(one.pythons)})" if one.pythons else "")
        _out(f"  {name:<{width}}  CPython {python}  {', '.join(one.platforms)}")


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
