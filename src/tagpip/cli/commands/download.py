"""``tagpip download``: a drop-in for ``pip download`` that fetches the wheels of a target.

It takes pip download's options (those that make no sense without building from source are
refused by name, see :mod:`tagpip.cli.options`), plus the target options, resolves with
markers evaluated for the target, and writes verified wheels into ``-d`` atomically. With
several targets (``--preset``, ``--from-python`` and ``--target-file`` repeat), it resolves each
and downloads the union of their wheels, each file once.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tagpip.cli.downgrades import add_downgrade_option, report_downgrades
from tagpip.cli.explain import add_explain_option, report_explanations
from tagpip.cli.options import add_fetch_options, add_output_options, add_target_options
from tagpip.cli.pipbackend import add_backend_options

if TYPE_CHECKING:
    from tagpip.target import Target

__all__ = ["register"]

logger = logging.getLogger("tagpip")


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
    add_downgrade_option(parser)
    add_explain_option(parser)
    add_fetch_options(parser)
    add_target_options(parser, several=True)
    add_output_options(parser)
    add_backend_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Resolve, download, report."""
    from pathlib import Path

    from tagpip.cli.locked import fetch_from_lock
    from tagpip.cli.progress import Progress
    from tagpip.cli.report import write_report
    from tagpip.cli.settle import (
        check_fetch_args,
        log_settings,
        open_index,
        print_downloaded,
        resolve,
        settle_run,
    )
    from tagpip.download import download
    from tagpip.errors import UsageError
    from tagpip.workflow import deliverable, union_by_file, without_built

    check_fetch_args(args, "download", "tagpip download -r requirements.txt -d ./wheels")
    locked = fetch_from_lock(args)  # -r LOCK: the locked files, without resolving
    if locked is not None:
        return locked

    def one_report(targets: Sequence[Target]) -> None:
        if len(targets) > 1 and args.report:
            raise UsageError(
                "--report describes one resolution: it cannot be used with several targets",
                hint="run tagpip download once per target, each with its own --report FILE",
            )

    setup = settle_run(args, "download", several=True, check_targets=one_report)
    inputs, targets, options, settings = setup.inputs, setup.targets, setup.options, setup.settings
    log_settings(targets[0], options)
    for target in targets[1:]:
        logger.info("target: %s", target.describe())
    progress = Progress(args.progress_bar, args.quiet)
    with open_index(args, options) as index:
        try:
            resolutions = []
            deliveries = []
            for target in targets:
                one = resolve(
                    args, inputs, index, target, options, settings, on_progress=progress.status
                )
                resolutions.append(one.resolution)
                deliveries.append(deliverable(one, inputs, settings))
            chosen = union_by_file(d.pins for d in deliveries)
            report_downgrades(args, resolutions, index)
            progress.close()
            report_explanations(args, resolutions, index)
            if len(targets) > 1:
                for filename, found in chosen.items():
                    logger.info(
                        "%s: for %s", filename, "; ".join(p.target.describe() for p in found)
                    )
            union = [found[0] for found in chosen.values()]
            user_hashes = without_built(union, inputs.user_hashes)
            if args.print_pip or args.backend == "pip":
                from tagpip.cli.pipbackend import run_backend

                progress.close()
                if args.report:
                    write_report(args.report, resolutions[0], union, index, targets[0])
                return run_backend(args, union, options, user_hashes=user_hashes)
            progress.expect(len(union), {pin.file.filename: pin.file.size for pin in union})
            results = download(
                [pin.file for pin in union],
                Path(args.dest),
                index,
                user_hashes=user_hashes,
                on_progress=progress,
            )
        finally:
            progress.close()
        if args.report:
            write_report(args.report, resolutions[0], union, index, targets[0])
    if not args.quiet:
        print_downloaded(
            [(r.path, r.reused and not r.from_cache) for r in results], (pin.name for pin in union)
        )
    return 0
