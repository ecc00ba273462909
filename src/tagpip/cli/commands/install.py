"""``tagpip install --target DIR``: resolve and download for a target, then unpack into a folder.

It takes ``tagpip download``'s options (pip's, plus the target options) and pip install's
``-t/--target`` and ``-U/--upgrade``. The wheels are downloaded into a temporary folder (but for
those the cache of unpacked wheels already holds: see
:func:`tagpip.workflow.fetch.fetch_and_install`) and installed by
:func:`tagpip.install.installer.install`, which stages everything and moves it into place, so a
failure or an interrupt leaves ``DIR`` as it was (see docs/install.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tagpip.cli.downgrades import add_downgrade_option
from tagpip.cli.explain import add_explain_option
from tagpip.cli.options import (
    RefuseOption,
    add_fetch_options,
    add_output_options,
    add_refused,
    add_target_options,
)
from tagpip.cli.pipbackend import add_backend_options
from tagpip.cli.supply import add_supply_options
from tagpip.cli.verifying import add_verify_options, check_verify_options, verify_written

if TYPE_CHECKING:
    from pathlib import Path

    from tagpip.cli.progress import Progress
    from tagpip.cli.supply import Supply
    from tagpip.index import HttpIndex
    from tagpip.install import InstallResult
    from tagpip.workflow import LockedRun

__all__ = ["register", "run"]

# pip install options that have no meaning for a --target folder of another machine.
_REFUSED: dict[str, tuple[int, str]] = {
    "--user": (0, "tagpip installs only into a folder; use --target DIR"),
    "--root": (1, "tagpip installs only into a folder; use --target DIR"),
    "--prefix": (1, "tagpip installs only into a folder; use --target DIR"),
    "--editable": (
        1,
        "tagpip installs wheels for another machine, so it cannot install editable projects",
    ),
    "--compile": (0, "bytecode compiled here would be for this machine's Python, not the target's"),
    "--force-reinstall": (0, "not supported yet; remove the project's files or use a new folder"),
    "--ignore-installed": (0, "not supported yet; use --upgrade or a new folder"),
    "--dry-run": (0, "not supported yet; use tagpip download to see what would be fetched"),
    "--break-system-packages": (0, "tagpip never installs into the running environment"),
    "--root-user-action": (1, "tagpip never installs into the running environment"),
}


class _RefuseEditable(RefuseOption):
    """``-e FOLDER`` is refused with what does work: the folder itself, built for the target."""

    def reason(self, values: str | Sequence[Any] | None, option_string: str | None) -> str:
        folder = values[0] if isinstance(values, list) and values else values
        if not isinstance(folder, str):
            return str(self.const)
        return (
            f"{self.const}; give the folder or URL without {option_string} (tagpip install "
            f"{folder} --target DIR): tagpip builds a pure-Python project into a wheel for the "
            "target"
        )


def register(subparsers: Any) -> None:
    """Add the ``install`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "install",
        help="install the wheels of a target into a folder (pip install --target)",
        description="Resolve tagged requirements for a target, download its wheels and unpack "
        "them into a folder, all or nothing.",
    )
    parser.add_argument(
        "-t",
        "--target",
        dest="target_dir",
        required=True,
        metavar="DIR",
        help="the folder to install into (created if missing)",
    )
    parser.add_argument(
        "-U",
        "--upgrade",
        action="store_true",
        help="replace projects already in DIR at another version or for other tags",
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="accepted: tagpip never compiles bytecode"
    )
    parser.add_argument(
        "--upgrade-strategy",
        choices=["only-if-needed", "eager"],
        help="accepted for pip compatibility: tagpip resolves the whole set every time",
    )
    parser.add_argument("--no-warn-script-location", action="store_true", help="accepted")
    parser.add_argument("--no-warn-conflicts", action="store_true", help="accepted")
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write pip's installation report (JSON) to FILE, '-' for stdout",
    )
    parser.add_argument(
        "--link-mode",
        choices=["clone", "copy", "hardlink"],
        default="clone",
        help="how files come from tagpip's cache of unpacked wheels: clone (the default, as "
        "uv's on Linux and macOS: copy-on-write clones where the file system can, else "
        "copies), copy, or hardlink (DIR's files are then the cache's own: do not edit them "
        "in place); with --no-cache-dir every wheel is unpacked and nothing is cached "
        "(docs/install.md)",
    )
    add_downgrade_option(parser)
    add_explain_option(parser)
    add_fetch_options(parser)
    add_supply_options(parser)
    add_target_options(parser)
    add_output_options(parser)
    add_backend_options(parser, install=True)
    add_verify_options(parser)
    add_refused(
        parser,
        "pip install options tagpip refuses (docs/install.md)",
        _REFUSED,
        actions={"--editable": _RefuseEditable},
        aliases={"--editable": "-e"},
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Resolve (or read a lock), download into a temporary folder, install into ``--target``."""
    import tempfile
    from pathlib import Path

    from tagpip.cli.delivery import fetch_and_install, resolve_pins
    from tagpip.cli.locked import read_locked
    from tagpip.cli.progress import Progress
    from tagpip.cli.report import write_report
    from tagpip.cli.settle import check_fetch_args, open_index, settle_run
    from tagpip.cli.supply import from_resolution, write_sbom

    check_fetch_args(args, "install", "tagpip install -r requirements.txt --target ./deps")
    check_verify_options(args)
    if args.verify and args.print_pip:
        from tagpip.errors import UsageError

        raise UsageError("--verify needs an install; --print-pip only prints pip's command")
    sbom = _check_supply_args(args)
    locked = read_locked(args, "install", need_target=True)
    if locked is not None:
        return _install_from_lock(args, locked)
    setup = settle_run(args, "install")
    inputs, target, options, settings = setup.inputs, setup.target, setup.options, setup.settings
    progress = Progress(args.progress_bar, args.quiet)
    with open_index(args, options) as index, tempfile.TemporaryDirectory(prefix="tagpip-") as temp:
        try:
            resolution, delivery = resolve_pins(
                args, inputs, index, target, options, settings, progress
            )
            pins, user_hashes = list(delivery.pins), delivery.user_hashes
            if args.print_pip:
                from tagpip.cli.pipbackend import print_pip

                progress.close()
                if args.report:
                    write_report(args.report, resolution, pins, index, target)
                return print_pip(args, pins, options, user_hashes=user_hashes, command="install")
            supply = from_resolution(resolution, pins, user_hashes)
            if _wants_licences(args):
                supply.check(args, index)
            outcome = fetch_and_install(
                args, pins, options, index, target, Path(temp), user_hashes, progress, **_into(args)
            )
            outcome = _measure(args, outcome, progress)
            if sbom is not None:
                _describe(args, supply, index, Path(temp))
        finally:
            progress.close()
        if args.report:
            write_report(args.report, resolution, pins, index, target)
    write_sbom(sbom, supply)
    _say(args, outcome)
    verify_written(args, Path(args.target_dir), f"--target {args.target_dir}")
    return 0


def _check_supply_args(args: argparse.Namespace) -> Path | None:
    """``--sbom``'s path, checked before anything is resolved; refused with ``--print-pip``,
    which installs nothing to describe."""
    from tagpip.cli.supply import check_sbom_path
    from tagpip.errors import UsageError

    if args.print_pip and (args.sbom or args.deny_license):
        raise UsageError(
            "--sbom and --deny-license describe what tagpip installs; --print-pip installs nothing"
        )
    return check_sbom_path(args)


def _wants_licences(args: argparse.Namespace) -> bool:
    return bool(args.sbom or args.deny_license)


def _describe(args: argparse.Namespace, supply: Supply, index: HttpIndex, temp: Path) -> None:
    """The SBOM of the target folder as this run left it."""
    from pathlib import Path

    folder = Path(args.target_dir)
    supply.describe(index, subject=folder.resolve().name, folder=folder, fetched=temp)


def _install_from_lock(args: argparse.Namespace, locked: LockedRun) -> int:
    """``install -r LOCK``: exactly the locked files for the lock's (or the given) target."""
    import tempfile
    from pathlib import Path

    from tagpip.cli.delivery import fetch_and_install
    from tagpip.cli.progress import Progress
    from tagpip.cli.supply import check_sbom_path, from_lock, write_sbom
    from tagpip.errors import UsageError
    from tagpip.index import HttpIndex

    if len(locked.targets) != 1:
        raise UsageError(
            "install takes one target: give one --preset, --target-file or --from-python"
        )
    target = locked.targets[0]
    sbom = check_sbom_path(args)
    supply = None
    progress = Progress(args.progress_bar, args.quiet)
    with HttpIndex(locked.options) as index, tempfile.TemporaryDirectory(prefix="tagpip-") as temp:
        try:
            chosen = locked.select(index)
            pins = chosen.pins()
            if args.print_pip:
                from tagpip.cli.pipbackend import print_pip

                progress.close()
                return print_pip(
                    args, pins, locked.options, user_hashes=chosen.hashes, command="install"
                )
            if _wants_licences(args):
                supply = from_lock(locked.lock, pins, target, index, chosen.hashes)
                supply.check(args, index)
            outcome = fetch_and_install(
                args,
                pins,
                locked.options,
                index,
                target,
                Path(temp),
                chosen.hashes,
                progress,
                **_into(args),
            )
            outcome = _measure(args, outcome, progress)
            if sbom is not None and supply is not None:
                _describe(args, supply, index, Path(temp))
        finally:
            progress.close()
    write_sbom(sbom, supply)
    _say(args, outcome)
    verify_written(args, Path(args.target_dir), f"--target {args.target_dir}")
    return 0


def _measure(args: argparse.Namespace, outcome: InstallResult, progress: Progress) -> InstallResult:
    """The outcome with one more warning when ``--target`` is over the size limit of the
    ``--preset``'s place (a Lambda's 250 MB unzipped), measured as ``bundle`` measures: install
    only warns (the folder is what was asked for; ``bundle`` is the command that refuses)."""
    import dataclasses
    from pathlib import Path

    from tagpip.bundle import TooLarge, check_size, limits_for, unzipped_size

    limits = limits_for(args.preset if isinstance(args.preset, str) else None)
    if limits is None:
        return outcome
    folder = Path(args.target_dir)
    progress.status(f"measuring --target {args.target_dir} against the {limits.family} limits")
    try:
        check_size(unzipped_size(folder), None, limits, subject=f"--target {args.target_dir}")
    except TooLarge as error:
        warning = (
            f"{error.message}; installed all the same (tagpip bundle refuses it, and its "
            "--slim and --exclude can drop weight)"
        )
        return dataclasses.replace(outcome, warnings=(*outcome.warnings, warning))
    return outcome


def _into(args: argparse.Namespace) -> dict[str, Any]:
    """``install``'s own destination options, as :func:`fetch_and_install` takes them."""
    from pathlib import Path

    return {
        "folder": Path(args.target_dir),
        "upgrade": args.upgrade,
        "link_mode": args.link_mode,
        "backend": args.backend,
    }


def _say(args: argparse.Namespace, outcome: InstallResult) -> None:
    import sys

    if args.quiet < 2:  # as pip, -q keeps warnings and -qq drops them
        for warning in outcome.warnings:
            sys.stderr.write(f"warning: {warning}\n")
    if args.quiet:
        return
    if outcome.unchanged:
        names = " ".join(str(project) for project in outcome.unchanged)
        print(f"Already installed in {args.target_dir}: {names}")
    for project in outcome.removed:
        print(f"Successfully uninstalled {project}")
    if outcome.installed:
        print("Successfully installed " + " ".join(str(p) for p in outcome.installed))
