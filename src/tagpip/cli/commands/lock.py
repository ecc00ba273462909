"""``tagpip lock``: resolve for one or several targets and write the pins as a lock file.

The lock's format is tagpip's tagged requirement syntax unless ``--format pylock`` is given or
the output is named ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751). An existing output lock
keeps its pins (as pip-tools does) unless ``--upgrade``; ``--upgrade-package NAME`` frees one.
The work is :func:`tagpip.workflow.resolve_for_lock`'s: this module settles the options, reads
the existing lock, and prints. Reading a lock back (``-r LOCK``) is :mod:`tagpip.cli.locked`'s.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, Any

from tagpip.cli.downgrades import add_downgrade_option, report_downgrades
from tagpip.cli.explain import add_explain_option, report_explanations
from tagpip.cli.options import (
    add_exclude_newer_option,
    add_fetch_options,
    add_output_options,
    add_target_options,
)
from tagpip.cli.supply import add_supply_options

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from tagpip.cli.supply import Supply
    from tagpip.index import DistFile, Index
    from tagpip.lock import Format, Lock
    from tagpip.resolution import Resolution
    from tagpip.workflow import Resolved

__all__ = ["register", "run"]


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
    from pathlib import Path

    from tagpip.cli.progress import Progress
    from tagpip.cli.settle import open_index, say_resolved, settle_run, voices
    from tagpip.cli.supply import check_sbom_path, write_sbom
    from tagpip.errors import UsageError
    from tagpip.lock import format_lock, is_pylock_name, read_lock, write_lock
    from tagpip.workflow import parse_upgrade_packages, resolve_for_lock

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
    setup = settle_run(args, "download", several=True)
    targets = setup.targets
    if args.sbom and len(targets) > 1:
        raise UsageError(
            f"--sbom describes one delivery, for one target; this lock has {len(targets)} targets",
            hint="lock each target with its own --sbom (or make the SBOM when bundling or "
            "installing from the lock)",
        )
    sbom = check_sbom_path(args)
    existing = None
    output = Path(args.output_file)
    if args.output_file != "-" and not args.upgrade and output.is_file():
        existing = read_lock(output) if fmt == "tagged" or is_pylock_name(output) else None
    upgrade = parse_upgrade_packages(args.upgrade_package)

    progress = Progress(args.progress_bar, args.quiet)
    say, warn = voices(args)

    def note(text: str) -> None:
        if not args.quiet:
            progress.close()
            print(f"note: {text}", file=sys.stderr)

    def resolved(one: Resolved) -> None:
        say_resolved(args, one)
        progress.close()

    with open_index(args, setup.options) as index:
        try:
            locking = resolve_for_lock(
                setup.inputs,
                setup.targets,
                index,
                setup.options,
                setup.settings,
                existing=existing,
                upgrade=upgrade,
                on_note=note,
                on_resolved=resolved,
                on_progress=progress.status,
                on_build=say,
                on_warning=warn,
            )
            report_downgrades(args, locking.resolutions, index)
            progress.close()
            report_explanations(args, locking.resolutions, index)
            lock = locking.lock(index, setup.options)
            supply = None
            if args.sbom or args.deny_license:
                supply = _lock_supply(args, locking.resolutions, lock, locking.built, index, output)
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
    resolutions: Sequence[Resolution],
    lock: Lock,
    built: Mapping[str, DistFile],
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
