"""``-r LOCK`` on ``download``, ``install`` and ``bundle``: the lock file given as the only
requirement file, fetched as it is, without resolving.

The work is :mod:`tagpip.workflow`'s (:func:`~tagpip.workflow.lock_inputs`,
:meth:`~tagpip.workflow.LockedRun.select`); what is here checks the options that do not apply
to a lock, settles the targets and index options, and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from tagpip.build import SourceBuilder
    from tagpip.index import Index
    from tagpip.lock import Lock
    from tagpip.target import Target
    from tagpip.workflow import LockedRun

__all__ = ["fetch_from_lock", "read_locked"]


def read_locked(args: argparse.Namespace, command: str, *, need_target: bool) -> LockedRun | None:
    """``-r LOCK``: the lock, checked against the other options, and the targets to read it
    for, or None when no ``-r`` file is a lock.

    The targets are the command line's (one per ``--preset``/``--target-file``/``--from-python``
    where those repeat). Without target options and with ``need_target`` (install, the pip
    backend), the lock's own target (:func:`tagpip.lock.target_of`: a tagged lock of one
    section); else none, meaning every file the lock names.
    """
    from tagpip.workflow import lock_inputs

    lock = lock_inputs(list(args.requirement))
    if lock is None:
        return None
    from tagpip.cli.settle import has_target_options, settle_index_options, settle_targets
    from tagpip.errors import UsageError
    from tagpip.lock import target_of
    from tagpip.workflow import Inputs, LockedRun

    if args.requirements or args.constraint:
        raise UsageError(
            f"{lock.path} is a lock file: it cannot be combined with other requirements or -c",
            hint="add them to the lock's inputs and lock again",
        )
    if getattr(args, "report", None):
        raise UsageError("--report is not available when fetching from a lock file yet")
    if args.no_deps or args.only_deps:
        raise UsageError("--no-deps and --only-deps do not apply to a lock file")
    _recorded_statuses(args, lock)
    empty = Inputs((), (), ())
    targets: list[Target] = []
    if has_target_options(args):
        targets = settle_targets(args, empty)
    elif need_target:
        targets = [target_of(lock)]
    options = settle_index_options(args, empty, command)

    def builder(
        index: Index, target: Target, hashes: Mapping[NormalizedName, Sequence[str]]
    ) -> SourceBuilder | None:
        from tagpip.cli.settle import run_settings, voices
        from tagpip.workflow import make_builder

        say, warn = voices(args)
        settings = run_settings(args, empty, options)
        return make_builder(
            empty,
            index,
            target,
            options,
            settings,
            on_build=say,
            on_warning=warn,
            user_hashes=hashes,
        )

    return LockedRun(lock, tuple(targets), options, builder)


def _recorded_statuses(args: argparse.Namespace, lock: Lock) -> None:
    """The PEP 792 statuses a lock recorded, when fetching from it (no index page is read):
    ``--fail-on-status`` holds them, and each is said in one warning line, as a resolution's
    are."""
    from tagpip.resolution import check_statuses, parse_fail_on, status_warnings

    where = lock.path or "the lock"
    check_statuses(
        lock.packages, parse_fail_on(getattr(args, "fail_on_status", None) or ()), recorded=where
    )
    if int(getattr(args, "quiet", 0) or 0) < 2:
        for text in status_warnings(lock.packages, recorded=where):
            sys.stderr.write(f"warning: {text}\n")


def fetch_from_lock(args: argparse.Namespace) -> int | None:
    """``download -r LOCK``: fetch exactly the locked files, hash-checked, without resolving.

    Returns None when no ``-r`` file is a lock (download then goes on as usual), else the exit
    status. With target options, only what those targets install is fetched (see
    :func:`tagpip.lock.pins_from_lock`); without, every file the lock names.
    """
    backend = bool(args.print_pip) or args.backend == "pip"
    run = read_locked(args, "download", need_target=backend)
    if run is None:
        return None
    from pathlib import Path

    from tagpip.cli.progress import Progress
    from tagpip.download import download
    from tagpip.index import HttpIndex

    progress = Progress(args.progress_bar, args.quiet)
    with HttpIndex(run.options) as index:
        try:
            locked = run.select(index)
            if backend:
                from tagpip.cli.pipbackend import run_backend

                progress.close()
                return run_backend(args, locked.pins(), run.options, user_hashes=locked.hashes)
            files = [file for file, _ in locked.files]
            progress.expect(len(files), {file.filename: file.size for file in files})
            results = download(
                files, Path(args.dest), index, user_hashes=locked.hashes, on_progress=progress
            )
        finally:
            progress.close()
    if not args.quiet:
        from tagpip.cli.settle import print_downloaded

        print_downloaded(
            [(r.path, r.reused and not r.from_cache) for r in results], (f.project for f in files)
        )
    return 0
