"""``tagpip why NAME`` and ``tagpip matrix``: why a target gets what it gets.

``why`` resolves as ``lock`` does (the same requirement, target and index options; sources are
not built) and explains one project for each target: the chain of requirements that pulled it
in, the newer versions and why each was passed over, and the file chosen with its tag rank.
``matrix`` resolves the same inputs for every target and prints one table, project x target, of
the chosen versions or the short reason none fits (``--json`` for tools). ``--explain NAME`` on
lock, download and install prints ``why``'s explanation once the resolution is done
(:mod:`tagpip.cli.explain`).

The words come from :mod:`tagpip.resolution.why`, which computes them after the resolution from
the index's data; nothing here reaches into the resolver.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tagpip.cli.options import (
    add_exclude_newer_option,
    add_fetch_options,
    add_output_options,
    add_target_options,
)

if TYPE_CHECKING:
    from tagpip.errors import TagpipError
    from tagpip.resolution import Resolution
    from tagpip.target import Target
    from tagpip.workflow import Inputs

__all__ = ["register", "register_matrix"]


def _resolution_options(parser: argparse.ArgumentParser) -> None:
    """What ``lock`` takes to resolve: requirements, index, targets (repeatable), cut-offs."""
    add_exclude_newer_option(parser)
    add_fetch_options(parser)
    add_target_options(parser, several=True)
    add_output_options(parser, writes_files=False)


def register(subparsers: Any) -> None:
    """Add the ``why`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "why",
        help="explain why a target gets the version and file of a project that it gets",
        description="Resolve as lock does and explain one project for each target: which "
        "requirement lines pulled it in, why each newer version was passed over, and which "
        "file was chosen with its tag rank. Without requirements, NAME alone is resolved.",
    )
    parser.add_argument("name", metavar="NAME", help="the project to explain")
    _resolution_options(parser)
    parser.set_defaults(run=run_why)


def register_matrix(subparsers: Any) -> None:
    """Add the ``matrix`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "matrix",
        help="a table of what each target gets: project x target, version or why none fits",
        description="Resolve the requirements for every target (repeat --preset, --target-file "
        "or --from-python) and print one table: each project's chosen version per target, or "
        "the short reason none fits. Exit status 1 when a target does not resolve.",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the table as JSON (shape: docs/why.md)"
    )
    _resolution_options(parser)
    parser.set_defaults(run=run_matrix)


def _check(args: argparse.Namespace, command: str, example: str) -> None:
    from tagpip.errors import UsageError

    for value in args.no_binary:
        if value.strip() != ":none:":
            raise UsageError(
                "--no-binary is not supported: tagpip builds a source only when no wheel fits"
            )
    if args.only_deps:
        raise UsageError(f"--only-deps is not supported by {command}: it reads the whole set")
    if command == "matrix" and not (args.requirements or args.requirement):
        raise UsageError(
            "nothing to tabulate: give requirements or -r FILE", hint=f"for example: {example}"
        )


def _resolve_all(
    args: argparse.Namespace, extra: Sequence[str] = ()
) -> tuple[list[tuple[Target, Resolution | TagpipError]], Inputs, Any]:
    """Resolve the inputs for every target, as lock does; a target whose resolution fails
    keeps its error (the index stays open for the explanations: the caller closes it)."""
    from tagpip.cli.progress import Progress
    from tagpip.cli.settle import open_index, resolve, settle_run
    from tagpip.resolution import ResolveError
    from tagpip.target import TargetError

    # As download reads them (pip's configuration too), so that why explains what it would do.
    setup = settle_run(args, "download", several=True, requirements=[*args.requirements, *extra])
    inputs, targets, options, settings = setup.inputs, setup.targets, setup.options, setup.settings
    index = open_index(args, options)
    progress = Progress(args.progress_bar, args.quiet)
    outcomes: list[tuple[Target, Resolution | TagpipError]] = []
    try:
        for target in targets:
            try:
                # Sources are built as download builds them (local folders, VCS URLs, and
                # sdists of projects with no fitting wheel): why explains the same answer.
                resolution = resolve(
                    args, inputs, index, target, options, settings, on_progress=progress.status
                ).resolution
            except (ResolveError, TargetError) as error:
                outcomes.append((target, error))
            else:
                outcomes.append((target, resolution))
    except BaseException:
        index.close()
        raise
    finally:
        progress.close()
    return outcomes, inputs, index


def run_why(args: argparse.Namespace) -> int:
    """Resolve, then explain NAME for each target (stdout); 1 when a target does not resolve
    or lacks NAME."""
    from tagpip.cli.render import render_error
    from tagpip.errors import TagpipError
    from tagpip.resolution import NotResolved, explain

    _check(args, "why", "")
    alone: Sequence[str] = () if (args.requirements or args.requirement) else (args.name,)
    outcomes, _, index = _resolve_all(args, alone)
    with index:
        if len(outcomes) == 1:
            outcome = outcomes[0][1]
            if isinstance(outcome, TagpipError):
                raise outcome
            print("\n".join(explain(args.name, outcome, index).lines()))
            return 0
        blocks = []
        status = 0
        for target, outcome in outcomes:
            if isinstance(outcome, TagpipError):
                status = 1
                text = render_error(outcome).removeprefix("error: ")
                lines = [f"{args.name} for {target.describe()}: the resolution fails:"]
                lines += [f"  {line}" for line in text.splitlines()]
            else:
                try:
                    lines = explain(args.name, outcome, index).lines()
                except NotResolved as error:
                    status = 1
                    lines = error.message.splitlines()
            blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    _print_details(args, outcomes)
    return status


def _print_details(
    args: argparse.Namespace, outcomes: Sequence[tuple[Target, Resolution | TagpipError]]
) -> None:
    """Under ``-v``, the full tag lists of the failures shown in a table or section (what the
    "-v lists every tag" hint in their message promises), on stderr as for a single error."""
    if not args.verbose:
        return
    for _, outcome in outcomes:
        details: tuple[str, ...] = getattr(outcome, "details", None) or ()
        if details:
            sys.stderr.write("\n".join(details) + "\n")


def run_matrix(args: argparse.Namespace) -> int:
    """Resolve for every target and print the table (or ``--json``); 1 when a target does not
    resolve."""
    from tagpip.resolution import matrix

    _check(args, "matrix", "tagpip matrix -r requirements.txt --preset A --preset B")
    outcomes, _, index = _resolve_all(args)
    with index:
        table = matrix(outcomes)
    if args.json:
        print(json.dumps(table.to_json(), indent=2))
    else:
        print("\n".join(table.lines()))
    _print_details(args, outcomes)
    return 1 if any(error is not None for error in table.errors) else 0
