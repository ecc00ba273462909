"""``tagpip bundle``: the deployable artifact, a reproducible zip (or a folder) for a target.

The wheels are resolved (or read from a lock) and installed with ``tagpip install``'s own stages
(:func:`tagpip.cli.commands.install.resolve_pins` and
:func:`~tagpip.cli.commands.install.fetch_and_install`: hash-checked, all or nothing, no host
bytecode) into a private folder; :mod:`tagpip.bundle.artifact` then adds the user's files, slims on
request, compiles with ``--compile`` (on an interpreter of the target's version, found as builds
find one: :func:`tagpip.build.interpreters.find_interpreter`), measures, checks the target's size
limits and writes the zip atomically.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tagpip.cli.downgrades import add_downgrade_option
from tagpip.cli.options import (
    add_fetch_options,
    add_output_options,
    add_target_options,
    local_interpreter,
)
from tagpip.cli.supply import add_supply_options
from tagpip.cli.verifying import add_verify_options, check_verify_options, verify_written

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from tagpip.bundle import Compiled, Dropped, Limits, Sizes
    from tagpip.cli.supply import Supply
    from tagpip.install import LinkMode
    from tagpip.target import Target

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``bundle`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "bundle",
        help="make a deployment zip (or folder) of a target's wheels and your code",
        description="Resolve tagged requirements (or read a lock) for a target, install them "
        "into a private folder and write a reproducible zip, checked against the target's size "
        "limits (docs/recipes/bundle.md).",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="PATH", help="the zip (or, with --dir, folder)"
    )
    parser.add_argument(
        "--dir", action="store_true", help="write a folder instead of a zip (for a container)"
    )
    parser.add_argument(
        "--layer", action="store_true", help="put everything under python/, as a Lambda layer"
    )
    parser.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="PATH",
        help="add your own file or folder (a folder with a trailing / adds its contents)",
    )
    parser.add_argument(
        "--slim",
        action="store_true",
        help="drop the wheels' bytecode, tests folders nothing imports and type stubs",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="drop files whose path (or a folder above) matches PATTERN (never .dist-info)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="compile the bundle's .py files into unchecked-hash pycs with an interpreter of "
        "the target's Python version (--compile-python, else --from-python, pyenv, uv python "
        "find or pythonX.Y on PATH); refused when none of that version is found",
    )
    parser.add_argument(
        "--compile-python",
        metavar="PYTHON",
        help="the interpreter --compile uses (implies --compile); it must be of the target's "
        "implementation and version",
    )
    parser.add_argument(
        "--no-size-check",
        action="store_true",
        help="write the bundle even when it is over the target's size limits",
    )
    add_fetch_options(parser)
    add_supply_options(parser)
    add_target_options(parser)
    add_output_options(parser)
    add_downgrade_option(parser)
    add_verify_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Install into a private folder, shape it, measure it, write it."""
    import os
    import sys
    import tempfile
    from pathlib import Path

    from tagpip import bundle
    from tagpip.bundle import limits_for
    from tagpip.cli.progress import Progress
    from tagpip.cli.settle import check_fetch_args
    from tagpip.cli.supply import check_sbom_path, licence_lines, write_sbom
    from tagpip.errors import UsageError
    from tagpip.target import RECORD_NAME

    check_fetch_args(
        args,
        "bundle",
        "tagpip bundle -r requirements.txt --preset aws-lambda-python3.12-x86_64 -o function.zip",
    )
    check_verify_options(args)
    output = Path(args.output)
    if not output.parent.is_dir():
        what = "is not a folder" if output.parent.exists() else "does not exist"
        raise UsageError(f"--output {args.output}: {output.parent} {what}")
    from tagpip.fs import why_unwritable, writable

    if not writable(output.parent):
        # Said before anything is resolved or installed, not when the bundle is written.
        raise bundle.BundleError(
            f"cannot write {output}: {output.parent} cannot be written "
            f"({why_unwritable(output.parent)})",
            hint="name an output in a folder you can write",
        )
    if args.dir:
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise bundle.BundleError(
                f"{output} exists and is not an empty folder; tagpip refuses to replace it",
                hint="remove it first or name a new folder",
            )
    elif output.is_dir():
        raise UsageError(f"--output {args.output} is a folder; name a zip file or give --dir")
    for given in args.add:
        if not Path(given).exists():
            raise bundle.BundleError(f"--add {given}: no such file or folder")
    sbom = check_sbom_path(args)
    when = bundle.zip_time(os.environ)
    prefix = "python/" if args.layer else ""
    # A folder output is built next to it (one rename puts it in place) from copies, so that
    # editing it never touches tagpip's cache; a zip's private folder can hold hard links.
    work_parent = str(output.parent) if args.dir else None
    with tempfile.TemporaryDirectory(prefix=".tagpip-bundle-", dir=work_parent) as work:
        tree = Path(work) / "tree"
        site = tree / prefix if prefix else tree
        target, supply = _install(args, site, "copy" if args.dir else "hardlink", prefix)
        site.mkdir(parents=True, exist_ok=True)
        owners = bundle.file_owners(site)
        # The target record install wrote (tagpip.target.record) gets a row of its own.
        owners[RECORD_NAME] = bundle.Owner("(target record)")
        added = bundle.add_paths(site, args.add, owners)
        dropped: list[Dropped] = []
        kept: list[str] = []
        if args.exclude:
            dropped += bundle.exclude(site, args.exclude, owners)
        if args.slim:
            slimmed, kept = bundle.slim(site, owners)
            dropped += slimmed
        compiled: Compiled | None = None
        # The phases after install's, each of which can take a while on a big tree.
        shaping = Progress(args.progress_bar, args.quiet)
        try:
            if args.compile or args.compile_python:
                python = _compile_python(args, target)
                compiled = bundle.compile_tree(
                    site, python, target.implementation, target.python_version, shaping.status
                )
        finally:
            shaping.close()
        pth = bundle.find_pth(site, owners)
        compressed: dict[str, int] | None = None
        zipped: int | None = None
        temp: Path | None = None
        try:
            if not args.dir:
                temp = bundle.temp_next_to(output)
                try:
                    compressed = bundle.write_zip(site, temp, when, prefix, shaping.status)
                finally:
                    shaping.close()
                zipped = temp.stat().st_size
            table = bundle.sizes(site, owners, added, dropped, compressed)
            limits = limits_for(args.preset if isinstance(args.preset, str) else None)
            if not args.quiet:
                print(_render_table(table, zipped, dropped, kept, limits, target))
                for line in licence_lines(supply.licences):
                    print(line)
                if compiled is not None:
                    print(
                        f"--compile: wrote {len(compiled.pycs)} pycs, {_size(compiled.size)}, "
                        f"with {compiled.python}"
                    )
            if compiled is not None and compiled.failed:
                _warn(args, _compile_warning(compiled, target))
            for item in pth:
                _warn(args, _pth_warning(item))
            unzipped = sum(row.unzipped for row in table)
            if limits is not None:
                if args.no_size_check:
                    try:
                        bundle.check_size(unzipped, zipped, limits)
                    except bundle.TooLarge as error:
                        _warn(args, f"writing it anyway (--no-size-check): {error.message}")
                else:
                    bundle.check_size(unzipped, zipped, limits)
            if temp is not None:
                bundle.commit_zip(temp, output)
                temp = None
            else:
                bundle.commit_dir(tree, output)
            write_sbom(sbom, supply)
        except OSError as error:
            # Writing the zip or moving it into place: a full disk, a folder gone read-only.
            raise bundle.BundleError(
                f"cannot write {output}: {error.strerror or error}",
                hint="free some space, or name an output in a folder you can write",
            ) from None
        finally:
            if temp is not None and temp.exists():
                temp.unlink()
    if not args.quiet:
        files = sum(row.files for row in table)
        size = f", {_size(zipped)} zipped" if zipped is not None else ""
        print(f"Wrote {args.output} ({files} files, {_size(unzipped)} unzipped{size})")
    sys.stdout.flush()
    verify_written(args, output, args.output)
    return 0


def _warn(args: argparse.Namespace, text: str) -> None:
    import sys

    if args.quiet < 2:  # as pip, -q keeps warnings and -qq drops them
        sys.stderr.write(f"tagpip: warning: {text}\n")


def _pth_warning(item: Any) -> str:
    what = "runs an import at start-up" if item.imports else "adds folders to sys.path"
    return (
        f"{item.owner.name} installs {item.path}, which {what} only from a site-packages "
        "folder; a Lambda (or PYTHONPATH) puts the bundle on sys.path without reading .pth "
        "files, so it has no effect there. If the project needs it, call "
        "site.addsitedir(<the bundle's folder>) first in your code (docs/recipes/bundle.md)"
    )


def _compile_python(args: argparse.Namespace, target: Target) -> str:
    """The interpreter ``--compile`` runs: ``--compile-python`` (checked by
    :func:`tagpip.bundle.artifact.compile_tree`), else one of the target's version found as builds
    find one; none found is a refusal, never the host's other version."""
    from tagpip.build import find_interpreter
    from tagpip.bundle import CompileError

    if args.compile_python:
        return str(args.compile_python)
    major, minor = target.python_version[:2]
    preferred = local_interpreter(getattr(args, "from_python", None))
    found = find_interpreter(major, minor, preferred=preferred)
    if found is None:
        raise CompileError(
            f"--compile: no Python {major}.{minor} interpreter found (looked at --from-python, "
            f"pyenv's versions, uv python find and python{major}.{minor} on PATH); tagpip "
            "refuses to compile with another version, whose bytecode the target would not use",
            hint=f"install Python {major}.{minor} (pyenv install {major}.{minor}), name one with "
            "--compile-python PATH, or leave out --compile",
        )
    return found.path


def _compile_warning(compiled: Compiled, target: Target) -> str:
    version = ".".join(str(part) for part in target.python_version[:2])
    shown = ", ".join(f"{rel} ({why})" if why else rel for rel, why in compiled.failed[:3])
    more = f" and {len(compiled.failed) - 3} more" if len(compiled.failed) > 3 else ""
    return (
        f"--compile: {len(compiled.failed)} files do not compile for Python {version} and stay "
        f"source only: {shown}{more}"
    )


def _install(
    args: argparse.Namespace, site: Path, link_mode: LinkMode, prefix: str
) -> tuple[Target, Supply]:
    """Resolve (or read the lock) and install into ``site`` (at ``prefix`` in the bundle) with
    install's own stages; the licences are read and checked against ``--deny-license`` first,
    and with ``--sbom`` the SBOM is made once the tree is there."""
    import tempfile
    from pathlib import Path

    from tagpip.cli.delivery import fetch_and_install, resolve_pins
    from tagpip.cli.locked import read_locked
    from tagpip.cli.progress import Progress
    from tagpip.cli.settle import open_index, settle_run
    from tagpip.cli.supply import from_lock, from_resolution
    from tagpip.errors import UsageError
    from tagpip.index import HttpIndex

    subject = Path(args.output).name
    # read_locked and resolve_pins read install's options too: bundle has no pip backend,
    # no --print-pip and no report.
    own = argparse.Namespace(**vars(args))
    own.backend = "tagpip"
    own.print_pip = False
    own.report = None
    locked = read_locked(own, "bundle", need_target=True)
    progress = Progress(args.progress_bar, args.quiet)
    with tempfile.TemporaryDirectory(prefix="tagpip-") as temp:
        if locked is not None:
            if len(locked.targets) != 1:
                raise UsageError("bundle takes one target: give one --preset or --from-python")
            target = locked.targets[0]
            with HttpIndex(locked.options) as index:
                try:
                    chosen = locked.select(index)
                    supply = from_lock(locked.lock, chosen.pins(), target, index, chosen.hashes)
                    supply.check(args, index)
                    fetch_and_install(
                        own,
                        supply.pins,
                        locked.options,
                        index,
                        target,
                        Path(temp),
                        chosen.hashes,
                        progress,
                        folder=site,
                        link_mode=link_mode,
                    )
                    if args.sbom:
                        supply.describe(
                            index, subject=subject, folder=site, prefix=prefix, fetched=Path(temp)
                        )
                finally:
                    progress.close()
            return target, supply
        setup = settle_run(own, "bundle")
        inputs, target, options, settings = (
            setup.inputs,
            setup.target,
            setup.options,
            setup.settings,
        )
        with open_index(args, options) as index:
            try:
                resolution, delivery = resolve_pins(
                    own, inputs, index, target, options, settings, progress
                )
                supply = from_resolution(resolution, delivery.pins, delivery.user_hashes)
                supply.check(args, index)
                fetch_and_install(
                    own,
                    delivery.pins,
                    options,
                    index,
                    target,
                    Path(temp),
                    delivery.user_hashes,
                    progress,
                    folder=site,
                    link_mode=link_mode,
                )
                if args.sbom:
                    supply.describe(
                        index, subject=subject, folder=site, prefix=prefix, fetched=Path(temp)
                    )
            finally:
                progress.close()
    return target, supply


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} B"


def _render_table(
    table: Sequence[Sizes],
    zipped: int | None,
    dropped: Sequence[Dropped],
    kept: Sequence[str],
    limits: Limits | None,
    target: Target,
) -> str:
    """The size table, largest first, with totals, savings per option and the limits."""
    with_zip = zipped is not None
    header = ["project", "version", "files", "unzipped"] + (["zipped"] if with_zip else [])
    header.append("saved")
    rows = [header]
    for row in table:
        saved = ", ".join(f"{_size(n)} by {opt}" for opt, n in sorted(row.saved.items()))
        cells = [row.owner.name, row.owner.version, str(row.files), _size(row.unzipped)]
        if with_zip:
            cells.append(_size(row.zipped or 0))
        rows.append([*cells, saved])
    total = [
        "total",
        "",
        str(sum(r.files for r in table)),
        _size(sum(r.unzipped for r in table)),
    ]
    if zipped is not None:
        total.append(_size(zipped))
    total.append(_size(sum(d.size for d in dropped)) if dropped else "")
    rows.append(total)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    numeric = {2, 3, 4} if with_zip else {2, 3}
    lines = []
    for number, cells in enumerate(rows):
        text = "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        )
        lines.append(text.rstrip())
        if number == 0 or number == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    options: dict[str, list[int]] = {}
    for item in dropped:
        key = f"{item.option} ({item.reason})"
        entry = options.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += item.size
    for key, (count, size) in sorted(options.items()):
        files = "file" if count == 1 else "files"
        lines.append(f"{key}: dropped {count} {files}, {_size(size)}")
    for folder in kept:
        lines.append(f"--slim kept {folder}")
    if limits is not None:
        lines.append(
            f"limits of {limits.family}: {_size(limits.unzipped)} unzipped, "
            f"{_size(limits.zipped)} zipped ({limits.note}; {limits.source})"
        )
    else:
        lines.append(f"no size limits known for {target.source}; not checked")
    return "\n".join(lines)
