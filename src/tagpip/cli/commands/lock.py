"""``tagpip lock``: resolve for one or several targets and write the pins as a lock file, and
:func:`read_locked`, which lets ``download`` and ``install`` take a lock file as ``-r``.

The lock's format is tagpip's tagged requirement syntax unless ``--format pylock`` is given or
the output is named ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751). An existing output lock
keeps its pins (as pip-tools does) unless ``--upgrade``; ``--upgrade-package NAME`` frees one.

A pin with no wheel for the target is built from its sdist as ``download`` builds it (and so
checked pure), but the lock records the sdist, the file the index serves; reading the lock back,
:meth:`LockedRun.select` builds it again, or takes the build from the cache, after checking the
sdist against the locked hash.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagpip.cli.commands.why import add_explain_option, report_explanations
from tagpip.cli.downgrades import add_downgrade_option, report_downgrades
from tagpip.cli.options import (
    add_exclude_newer_option,
    add_fetch_options,
    add_output_options,
    add_target_options,
)
from tagpip.cli.supply import add_supply_options

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.utils import NormalizedName

    from tagpip.build import SourceBuilder
    from tagpip.cli.supply import Supply
    from tagpip.config import IndexOptions
    from tagpip.index import DistFile, Index
    from tagpip.lock import Format, Lock
    from tagpip.resolution import Pin, Resolution
    from tagpip.target import Target

__all__ = [
    "LockedRun",
    "LockedSet",
    "fetch_from_lock",
    "lock_inputs",
    "read_locked",
    "register",
]


def register(subparsers: Any) -> None:
    """Add the ``lock`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "lock",
        help="resolve for one or more targets and write a lock file (tagged or pylock.toml)",
        description="Resolve tagged requirements for each target and write the pinned wheels, "
        "with their hashes, as a lock file that download and install read without resolving.",
    )
    parser.add_argument(
        "-o",
        "--output-file",
        default="-",
        metavar="FILE",
        help="where to write the lock (default: stdout); an existing lock there keeps its pins",
    )
    parser.add_argument(
        "--format",
        choices=["tagged", "pylock"],
        help="tagged (default) or pylock (PEP 751; the default when FILE is named pylock.toml)",
    )
    parser.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore the pins of the existing lock"
    )
    parser.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="free this project's pin from the existing lock (NAME or NAME==VERSION); repeatable",
    )
    add_exclude_newer_option(parser)
    add_downgrade_option(parser)
    add_explain_option(parser)
    add_fetch_options(parser)
    add_supply_options(parser)
    add_target_options(parser, several=True)
    add_output_options(parser)
    parser.set_defaults(run=run)


def _command(args: argparse.Namespace) -> str:
    """The command line, rebuilt from what it means: the same inputs give the same header, and
    what would leak (index URLs, credentials) or is a one-off (--upgrade) is left out."""
    words = ["tagpip", "lock"]
    for flag, values in (
        ("-r", args.requirement),
        ("-c", args.constraint),
        ("--preset", args.preset),
        ("--from-python", args.from_python),
        ("--target-file", args.target_file),
        ("--platform", args.platform),
        ("--abi", args.abi),
        ("--allow-quarantined", args.allow_quarantined),
    ):
        for value in values:
            words += [flag, value]
    for flag, value in (
        ("--python-version", args.python_version),
        ("--implementation", args.implementation),
        ("--exclude-newer", args.exclude_newer),
        ("--uploaded-prior-to", args.uploaded_prior_to),
        ("--format", args.format),
    ):
        if value is not None:
            words += [flag, value]
    for flag, on in (
        ("--pre", args.pre),
        ("--no-deps", args.no_deps),
        ("--ignore-requires-python", args.ignore_requires_python),
    ):
        if on:
            words.append(flag)
    for kind, value in getattr(args, "release_control", None) or []:
        words += ["--all-releases" if kind == "all_releases" else "--only-final", value]
    if args.output_file != "-":
        words += ["-o", args.output_file]
    words += list(args.requirements)
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    """Resolve each target (keeping the existing lock's pins), then write the lock."""
    import dataclasses
    from pathlib import Path

    from packaging.utils import canonicalize_name

    from tagpip.build import lockable_pins
    from tagpip.cli.progress import Progress
    from tagpip.cli.settle import (
        open_index,
        parse_cutoffs,
        print_warnings,
        read_inputs,
        resolve,
        run_settings,
        settle_index_options,
        settle_targets,
    )
    from tagpip.cli.supply import check_sbom_path, write_sbom
    from tagpip.errors import UsageError
    from tagpip.lock import (
        format_lock,
        is_pylock_name,
        kept_note,
        kept_pins,
        lock_from_resolutions,
        read_lock,
        usable_kept,
        write_lock,
    )
    from tagpip.requirements import parse_line
    from tagpip.workflow import build_pins

    for value in args.no_binary:
        if value.strip() != ":none:":
            raise UsageError(
                "--no-binary is not supported: tagpip builds a source only when no wheel fits"
            )
    if args.only_deps:
        raise UsageError("--only-deps is not supported by lock: a lock holds the whole set")
    if not (args.requirements or args.requirement):
        raise UsageError(
            "nothing to lock: give requirements or -r FILE",
            hint="for example: tagpip lock -r requirements.in -o requirements.lock",
        )
    fmt: Format = args.format or ("pylock" if is_pylock_name(args.output_file) else "tagged")
    cutoffs = parse_cutoffs(args)
    inputs = read_inputs(
        args.requirements,
        args.requirement,
        args.constraint,
        command="download",
        isolated=args.isolated,
    )
    print_warnings(inputs.warnings, args.quiet)
    targets = settle_targets(args, inputs)
    if args.sbom and len(targets) > 1:
        raise UsageError(
            f"--sbom describes one delivery, for one target; this lock has {len(targets)} targets",
            hint="lock each target with its own --sbom (or make the SBOM when bundling or "
            "installing from the lock)",
        )
    sbom = check_sbom_path(args)
    options = settle_index_options(args, inputs, "download")
    settings = run_settings(args, inputs, options, cutoffs)

    existing = None
    output = Path(args.output_file)
    if args.output_file != "-" and not args.upgrade and output.is_file():
        existing = read_lock(output) if fmt == "tagged" or is_pylock_name(output) else None
    freed = set()
    extra_constraints = []
    for number, text in enumerate(args.upgrade_package, start=1):
        line = parse_line(text, source="--upgrade-package", line=number)
        freed.add(canonicalize_name(line.name))
        if line.requirement.specifier:
            extra_constraints.append(line)

    progress = Progress(args.progress_bar, args.quiet)
    with open_index(args, options) as index:
        try:
            resolutions = []
            built: dict[str, DistFile] = {}  # sdist URL -> the wheel it built
            for target in targets:
                kept = {}
                notes: list[str] = []
                if existing is not None:
                    kept = kept_pins(existing, target, several=len(targets) > 1)
                    notes += filter(None, [kept_note(existing, target)])
                kept = {name: pin for name, pin in kept.items() if name not in freed}
                kept, dropped = usable_kept(kept, target, index, settings.policy)
                if not args.quiet:
                    for note in [*notes, *dropped]:
                        progress.close()
                        print(f"note: {note}", file=sys.stderr)
                resolved = resolve(
                    args,
                    inputs,
                    index,
                    target,
                    options,
                    settings,
                    on_progress=progress.status,
                    kept=kept,
                    constraints=extra_constraints,
                )
                progress.close()
                resolution, builder = resolved.resolution, resolved.builder
                resolution = dataclasses.replace(
                    resolution, pins=tuple(lockable_pins(resolution.pins, builder))
                )
                # Build what comes from sdists now: a lock must not hold what cannot be delivered.
                for pin, wheel in zip(resolution.pins, build_pins(resolution.pins, builder)):
                    if not pin.file.is_wheel:
                        built[pin.file.url] = wheel.file
                resolutions.append(resolution)
            report_downgrades(args, resolutions, index)
            progress.close()
            report_explanations(args, resolutions, index)
            lock = lock_from_resolutions(
                resolutions, index, index_urls=options.index_urls, built=built
            )
            supply = None
            if args.sbom or args.deny_license:
                supply = _lock_supply(args, resolutions, lock, built, index, output)
        finally:
            progress.close()
    text = format_lock(lock, fmt, command=_command(args))
    if args.output_file == "-":
        sys.stdout.write(text)
    else:
        write_lock(output, text)
    write_sbom(sbom, supply)
    if args.output_file != "-" and not args.quiet:
        count = sum(len(s.packages) for s in lock.sections)
        where = f"{len(targets)} targets" if len(targets) > 1 else targets[0].describe()
        print(f"Locked {count} pins for {where} in {args.output_file}", file=sys.stderr)
    return 0


def _lock_supply(
    args: argparse.Namespace,
    resolutions: list[Resolution],
    lock: Lock,
    built: dict[str, DistFile],
    index: Index,
    output: Path,
) -> Supply:
    """``--deny-license`` held against every target's pins (their licences read from the
    wheels, built ones included), and with ``--sbom`` the SBOM of the lock's one target: the
    locked files with the lock's hashes."""
    import dataclasses

    from tagpip.cli.supply import from_resolution

    hashes = {
        package.name: [f"{a}:{d}" for f in package.files for a, d in f.hashes]
        for package in lock.packages
    }
    supply = None
    for resolution in resolutions:
        wheels = [
            dataclasses.replace(pin, file=built.get(pin.file.url, pin.file))
            for pin in resolution.pins
        ]
        supply = from_resolution(resolution, resolution.pins, hashes)
        supply.check(args, index, wheels)
    assert supply is not None
    if args.sbom:
        subject = output.name if args.output_file != "-" else "lock"
        supply.describe(index, subject=subject)
    return supply


def lock_inputs(requirement_files: list[str]) -> Lock | None:
    """The lock among ``-r`` files, or None when none of them is a lock."""
    from tagpip.errors import UsageError
    from tagpip.lock import read_lock

    locks = [(path, read_lock(path)) for path in requirement_files]
    found = [(path, lock) for path, lock in locks if lock is not None]
    if not found:
        return None
    if len(requirement_files) > 1:
        raise UsageError(
            f"{found[0][0]} is a lock file: give it as the only -r",
            hint="a lock already holds the whole set; lock the other files together with it",
        )
    return found[0][1]


@dataclass(frozen=True)
class LockedRun:
    """What a lock given as ``-r`` means for this run: the lock, the targets it is read for
    (none: every file of every section), and the index options to fetch with."""

    lock: Lock
    targets: tuple[Target, ...]
    options: IndexOptions
    builder: Callable[[Index, Target], SourceBuilder | None] | None = None

    def select(self, index: Index) -> LockedSet:
        """The files to fetch, each once, with the target each is for and the lock's hashes.

        A locked sdist is replaced by the wheel it builds for its target (the given one, else
        the one its tagged line names), taken from the build cache when that holds it; the
        builder checks the sdist against the locked hash first, and the built wheel's sha256
        joins the hashes the download checks.
        """
        from tagpip.lock import LockError, lock_hashes, locked_sdist_target, pins_from_lock

        chosen: dict[str, tuple[DistFile, Target | None]] = {}
        for target in self.targets or (None,):
            for file in pins_from_lock(self.lock, index, target):
                chosen.setdefault(file.url, (file, target))
        hashes = lock_hashes(self.lock)
        builders: dict[Target, SourceBuilder | None] = {}
        files = []
        for file, target in chosen.values():
            if not file.is_wheel:
                where = f"{self.lock.path}: {file.project} {file.version}"
                build_for = target or locked_sdist_target(self.lock, file)
                if build_for is None:
                    raise LockError(
                        f"{where} is locked as its sdist {file.filename}, which is built for "
                        "the target: say which target",
                        hint="give the target with --preset, --target-file, --from-python, or "
                        "--platform and --python-version",
                    )
                if build_for not in builders:
                    made = self.builder(index, build_for) if self.builder else None
                    if made is not None:
                        # The sdist must have a locked hash (a copy: built wheels join below).
                        made.user_hashes = {n: list(v) for n, v in hashes.items()}
                    builders[build_for] = made
                builder = builders[build_for]
                if builder is None or not builder.allows(file.project):
                    raise LockError(
                        f"{where} is locked as its sdist {file.filename}, and this run does "
                        "not build sources (--no-build, --no-build-package or --only-binary); "
                        "tagpip refused it",
                        hint="drop that option, or lock a version that ships a wheel",
                    )
                built = builder.wheel(file)
                digest = dict(built.file.hashes)["sha256"]
                hashes.setdefault(file.project, []).append(f"sha256:{digest}")
                file = built.file
            files.append((file, target))
        kept = tuple(b for b in builders.values() if b is not None)
        return LockedSet(tuple(files), hashes, kept)


@dataclass(frozen=True)
class LockedSet:
    """The locked files (each with the target it was selected for, None when no target was
    given) and, per project, the ``algo:hex`` hashes the lock allows."""

    files: tuple[tuple[DistFile, Target | None], ...]
    hashes: dict[NormalizedName, list[str]]
    # The builders whose wheels are among ``files`` (kept: without a cache, they live in the
    # builders' temporary folders).
    builders: tuple[SourceBuilder, ...] = field(default=(), compare=False)

    def pins(self) -> list[Pin]:
        """The files as pins, for the pip backend (each needs its target)."""
        from tagpip.resolution import Pin

        pins = []
        for file, target in self.files:
            assert target is not None
            pins.append(Pin(file.project, file.version, file, frozenset(), (), (), target))
        return pins


def read_locked(args: argparse.Namespace, command: str, *, need_target: bool) -> LockedRun | None:
    """``-r LOCK`` for ``download`` and ``install``: the lock, checked against the other options,
    and the targets to read it for, or None when no ``-r`` file is a lock.

    The targets are the command line's (one per ``--preset``/``--target-file``/``--from-python``
    where those repeat). Without target options and with ``need_target`` (install, the pip
    backend), the lock's own target (:func:`tagpip.lock.select.target_of`: a tagged lock of one
    section); else none, meaning every file the lock names.
    """
    lock = lock_inputs(list(args.requirement))
    if lock is None:
        return None
    from tagpip.cli.settle import has_target_options, settle_index_options, settle_targets
    from tagpip.errors import UsageError
    from tagpip.lock import target_of
    from tagpip.workflow import Inputs

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

    def builder(index: Index, target: Target) -> SourceBuilder | None:
        from tagpip.cli.settle import run_settings, voices
        from tagpip.workflow import make_builder

        say, warn = voices(args)
        settings = run_settings(args, empty, options)
        return make_builder(empty, index, target, options, settings, on_build=say, on_warning=warn)

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
    :func:`tagpip.lock.select.pins_from_lock`); without, every file the lock names.
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
            progress.expect(len(files))
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
