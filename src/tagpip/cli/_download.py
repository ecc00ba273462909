"""``tagpip download``: a drop-in for ``pip download`` that fetches the wheels of a target.

It takes pip download's options (those that make no sense without building from source are
refused by name, see :mod:`tagpip.cli._options`), plus the target options, resolves with
markers evaluated for the target, and writes verified wheels into ``-d`` atomically.
"""

from __future__ import annotations

import argparse
from typing import Any

from tagpip.cli._options import add_fetch_options, add_output_options, add_target_options
from tagpip.cli._pipbackend import add_backend_options

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``download`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "download",
        help="download the wheels of a target (a drop-in for pip download)",
        description="Resolve tagged requirements for a target and download its wheels.",
    )
    parser.add_argument(
        "-d", "--dest", default=".", metavar="DIR", help="where to put the wheels (default: .)"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write pip's installation report (JSON) to FILE, '-' for stdout",
    )
    add_fetch_options(parser)
    add_target_options(parser)
    add_output_options(parser)
    add_backend_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Resolve, download, report."""
    from pathlib import Path

    from tagpip.cli._fetch import (
        log_settings,
        parse_cutoff,
        print_warnings,
        read_inputs,
        settle_index_options,
        settle_target,
        wants_hashes,
    )
    from tagpip.cli._progress import Progress
    from tagpip.cli._report import check_required_hashes, write_report
    from tagpip.download import download
    from tagpip.errors import UsageError
    from tagpip.index import HttpIndex
    from tagpip.resolve import resolve

    for value in args.no_binary:
        if value.strip() != ":none:":
            raise UsageError("--no-binary is not supported: tagpip never builds from source")
    if args.no_deps and args.only_deps:
        raise UsageError("--no-deps and --only-deps cannot be used together")
    if not (args.requirements or args.requirement):
        raise UsageError(
            "nothing to download: give requirements or -r FILE",
            hint="for example: tagpip download -r requirements.txt -d ./wheels",
        )
    from tagpip.cli._lock import fetch_from_lock

    locked = fetch_from_lock(args)  # -r LOCK: the locked files, without resolving
    if locked is not None:
        return locked
    cutoff = parse_cutoff(args.uploaded_prior_to)
    inputs = read_inputs(args.requirements, args.requirement, args.constraint)
    print_warnings(inputs.warnings, args.quiet)
    target = settle_target(args, inputs)
    options = settle_index_options(args, inputs, "download")
    log_settings(target, options)
    progress = Progress(args.progress_bar, args.quiet)
    with HttpIndex(options) as index:
        try:
            resolution = resolve(
                inputs.requirements,
                target,
                index,
                constraints=inputs.constraints,
                pre=options.pre,
                ignore_requires_python=args.ignore_requires_python,
                no_deps=args.no_deps,
                exclude_newer=cutoff,
                on_progress=progress.status,
            )
            pins = list(resolution.pins)
            if args.only_deps:
                roots = set(resolution.roots)
                pins = [pin for pin in pins if pin.name not in roots]
            user_hashes = inputs.user_hashes
            if wants_hashes(args, inputs):
                check_required_hashes(pins, user_hashes)
            if args.print_pip or args.backend == "pip":
                from tagpip.cli._pipbackend import run_backend

                progress.close()
                if args.report:
                    write_report(args.report, resolution, pins, index, target)
                return run_backend(args, pins, options, user_hashes=user_hashes)
            progress.expect(len(pins))
            results = download(
                [pin.file for pin in pins],
                Path(args.dest),
                index,
                user_hashes=user_hashes,
                on_progress=progress,
            )
        finally:
            progress.close()
        if args.report:
            write_report(args.report, resolution, pins, index, target)
    if not args.quiet:
        for result in results:
            verb = "File was already downloaded" if result.reused else "Saved"
            print(f"{verb} {result.path}")
        if results:
            print("Successfully downloaded " + " ".join(pin.name for pin in pins))
    return 0
