"""`tagpip sam`: AWS SAM builds a function or layer with tagpip through its Makefile build method.

``makefile`` reads the template and writes, in each code folder's Makefile, one block with a
``build-<LogicalId>`` target per function or layer whose ``Metadata`` says ``BuildMethod:
makefile``, each running tagpip with the preset of its ``Runtime`` and ``Architectures``;
``check`` says whether those blocks still match the template (for CI and pre-commit). The
decisions are :mod:`tagpip.sam.template`'s; this module only prints them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``sam`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "sam",
        help="write or check the Makefiles with which sam build runs tagpip",
        description="For each function and layer of an AWS SAM template whose Metadata says "
        "'BuildMethod: makefile' and whose runtime is Python, write (makefile) or compare "
        "(check) a build-<LogicalId> target in its code folder's Makefile that runs tagpip with "
        "the preset of its Runtime and Architectures. Only tagpip's block of each Makefile is "
        "written; the rest stays as it is.",
    )
    parser.add_argument(
        "action",
        choices=["makefile", "check"],
        help="makefile: write the blocks; check: exit 1 if one is missing or differs",
    )
    parser.add_argument(
        "template",
        nargs="?",
        metavar="TEMPLATE",
        help="the SAM template (default: template.yaml, .yml or .json here, as sam build)",
    )
    parser.add_argument(
        "--requirements",
        metavar="NAME",
        default="requirements.txt",
        help="the requirements or lock file in each code folder (default: requirements.txt)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write or check the Makefiles of one template."""
    from tagpip import sam

    template = Path(args.template) if args.template else sam.find_template(Path("."))
    found = sam.plan(template, requirements=args.requirements)
    for note in found.notes:
        sys.stderr.write(f"note: {note}\n")
    if not found.builds:
        raise sam.SamError(
            f"{template}: no Python function or layer is built with a Makefile",
            hint="give the resource 'Metadata: BuildMethod: makefile' for SAM to run tagpip",
        )
    if args.action == "makefile" and not args.quiet:
        rows = [(*sam.describe(b), str(b.makefile)) for b in found.builds]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths)]
            print("  ".join([*cells, row[-1]]))
    if args.action == "makefile":
        for path, status in sam.write_makefiles(found):
            if not args.quiet or status != "unchanged":
                print(f"{status} {path}")
        return 0
    stale = sam.check_makefiles(found)
    for item in stale:
        print(f"{item.path} {item.why}")
        for line in item.diff:
            print(f"  {line}")
    if stale:
        count = len(stale)
        raise sam.SamError(
            f"{count} Makefile{'s are' if count != 1 else ' is'} not as {template} asks",
            hint=f"run: tagpip sam makefile {template}",
        )
    if not args.quiet:
        count = len(found.makefiles())
        print(f"{count} Makefile{'s' if count != 1 else ''} match {template}")
    return 0
