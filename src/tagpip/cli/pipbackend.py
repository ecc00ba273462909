"""The pip backend: ``--print-pip`` prints, and ``--backend pip`` runs, the ``pip download``
invocations that fetch exactly the resolved set (built by :mod:`tagpip.pip.command`).

For ``install``, ``--print-pip`` prints ``pip install --target DIR`` invocations, and
``--backend pip`` has pip download into a temporary folder (checked as for ``download``) and
tagpip's own installer install from there: pip's ``--target`` cannot merge several invocations
into one folder, writes scripts for the host and is not all or nothing (docs/pip-backend.md).

tagpip still resolves (markers for the target, tag blocks, manylinux expansion); pip only
fetches, with its own configuration and credentials. After pip has run, the destination is
checked against the resolution: every pinned file present with the index's digests (and the
user's ``--hash`` values), and nothing else written. See docs/pip-backend.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # The pipeline is imported inside the functions: building the parser stays cheap.
    from packaging.utils import NormalizedName

    from tagpip.config import IndexOptions
    from tagpip.index import DistFile
    from tagpip.pip import PipCommand, PipDownload
    from tagpip.resolution import Pin

__all__ = [
    "CREDENTIALS_NOTE",
    "INDEX_RULE_NOTE",
    "add_backend_options",
    "fetch_with_pip",
    "print_pip",
    "run_backend",
]

# Variables that would change what pip fetches or where: tagpip decides these. (pip appends
# PIP_PLATFORM and PIP_ABI to the command line's values, silently widening the restriction.)
_STRIPPED_ENV = (
    "PIP_PLATFORM",
    "PIP_PLATFORMS",
    "PIP_PYTHON_VERSION",
    "PIP_IMPLEMENTATION",
    "PIP_ABI",
    "PIP_ABIS",
    "PIP_REQUIREMENT",
    "PIP_REQUIREMENTS",
    "PIP_DEST",
)


def add_backend_options(parser: argparse.ArgumentParser, *, install: bool = False) -> None:
    """``--print-pip``, ``--backend`` and ``--pip`` (for ``download``, or ``install``)."""
    group = parser.add_argument_group("pip backend (see docs/pip-backend.md)")
    printed = "pip install --target" if install else "pip download"
    group.add_argument(
        "--print-pip",
        action="store_true",
        help=f"resolve, then print the {printed} commands that fetch exactly the resolved set "
        f"(credentials redacted) instead of {'installing' if install else 'downloading'}",
    )
    fetcher = (
        "who fetches the resolved wheels: tagpip (default) or pip download, run as a subprocess "
        "with its own configuration and credentials; tagpip installs them either way"
        if install
        else "who fetches the resolved wheels: tagpip (default) or pip, run as a subprocess "
        "with its own configuration and credentials"
    )
    group.add_argument("--backend", choices=["tagpip", "pip"], default="tagpip", help=fetcher)
    group.add_argument(
        "--pip",
        metavar="PYTHON",
        help="the interpreter whose pip runs (python -m pip) for --backend pip and is named "
        "by --print-pip (default: the one running tagpip)",
    )


def run_backend(
    args: argparse.Namespace,
    pins: Sequence[Pin],
    options: IndexOptions,
    *,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> int:
    """``download``'s backend: print (``args.print_pip``) or run the pip invocations for
    ``pins`` into ``args.dest``; return the status.

    ``options`` are the index options tagpip resolved with; pip is told only what its own
    configuration does not already say (everything, under ``--isolated``). Raises
    :class:`tagpip.pip.command.PipFailed` when pip fails and :class:`tagpip.pip.command.PipMismatch`
    when the files it left differ from the resolution.
    """
    if args.print_pip:
        return print_pip(args, pins, options, user_hashes=user_hashes, command="download")
    dest = Path(args.dest)
    written = fetch_with_pip(args, pins, options, dest, user_hashes=user_hashes)
    if not args.quiet:
        from tagpip.cli.settle import print_downloaded

        changed = set(written)
        saved = [(dest / p.file.filename, p.file.filename not in changed) for p in pins]
        print_downloaded(saved, (pin.name for pin in pins))
    return 0


def print_pip(
    args: argparse.Namespace,
    pins: Sequence[Pin],
    options: IndexOptions,
    *,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    command: PipCommand = "download",
) -> int:
    """Print the ``pip download -d DEST`` (``command="download"``) or ``pip install --target
    DIR`` (``"install"``) invocations that fetch exactly ``pins``, credentials redacted."""
    from tagpip.pip import format_command

    dest = args.dest if command == "download" else args.target_dir
    upgrade = command == "install" and bool(getattr(args, "upgrade", False))
    downloads = _invocations(args, pins, options, dest, user_hashes, command, upgrade=upgrade)
    python = args.pip or "python"
    _say_index_rule(args, options)
    if any(download.has_secrets for download in downloads):
        print(CREDENTIALS_NOTE)
    for download in downloads:
        print(format_command([python, "-m", "pip", *download.arguments(redact=True)]))
    return 0


# The one line --print-pip adds when it redacted a URL's credentials (a shell comment, so the
# output still runs as it is).
CREDENTIALS_NOTE = (
    "# **** stands for credentials, which go on no command line (every local user can read "
    "one): pip reads them from PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS (in place of "
    "those options), pip.conf or ~/.netrc, as tagpip --backend pip gives them through a private "
    "requirements file"
)


def fetch_with_pip(
    args: argparse.Namespace,
    pins: Sequence[Pin],
    options: IndexOptions,
    dest: Path,
    *,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> list[str]:
    """Run the ``pip download`` invocations for ``pins`` into ``dest``, then check that ``dest``
    holds exactly the pinned files with their digests; return the names pip wrote or changed.

    Raises :class:`tagpip.pip.command.PipFailed` when pip fails and
    :class:`tagpip.pip.command.PipMismatch` when the files differ from the resolution.
    """
    from tagpip.hashes import file_digests
    from tagpip.pip import PipMismatch, differences

    hashes = dict(user_hashes or {})
    downloads = _invocations(args, pins, options, str(dest), hashes, "download")
    _say_index_rule(args, options)
    python = args.pip or sys.executable
    before = _snapshot(dest)
    for download in downloads:
        _run_pip(python, download, args)
    after = _snapshot(dest)
    written = [name for name, stamp in after.items() if before.get(name) != stamp]
    expected = list({pin.file.filename: pin.file for pin in pins}.values())
    present = {
        file.filename: file_digests(dest / file.filename, _algorithms(file, hashes))
        for file in expected
        if file.filename in after
    }
    found = differences(expected, present, written, hashes)
    if found:
        raise PipMismatch(found)
    return written


def _invocations(
    args: argparse.Namespace,
    pins: Sequence[Pin],
    options: IndexOptions,
    dest: str,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None,
    command: PipCommand,
    *,
    upgrade: bool = False,
) -> list[PipDownload]:
    from tagpip.config import load_index_options
    from tagpip.pip import pip_downloads

    isolated = bool(getattr(args, "isolated", False))
    # What pip reads by itself for this command (pip.conf's [download] or [install] section).
    baseline = load_index_options(command, {"isolated": isolated})
    return pip_downloads(
        pins,
        dest,
        options,
        baseline=baseline,
        extra_args=["--isolated"] if isolated else [],
        user_hashes=dict(user_hashes or {}),
        command=command,
        upgrade=upgrade,
    )


def _run_pip(python: str, download: PipDownload, args: argparse.Namespace) -> None:
    """Run one invocation; under ``-v`` pip's output streams through, otherwise it is kept and
    shown only if pip fails (and pip may not prompt, since nobody would see the prompt)."""
    from tagpip.pip import PipBackendError, PipFailed, format_command

    shown = [python, "-m", "pip", *download.arguments(redact=True)]
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    verbose = args.verbose > 0
    if not verbose or getattr(args, "no_input", False):
        env["PIP_NO_INPUT"] = "1"
    with tempfile.TemporaryDirectory(prefix="tagpip-pip-") as scratch:  # a 0700 folder
        path = Path(scratch, "requirements.txt")
        if download.has_secrets:
            # Credentials never go on pip's command line, which every local user can read
            # (/proc/PID/cmdline): they go into a requirements file only we can read, or the
            # environment (pipcmd.PipDownload.private_invocation).
            arguments, text, extra_env = download.private_invocation(str(path))
            _write_private(path, text)
            env.update(extra_env)
        elif download.can_check_hashes:
            # Hash-checking mode: pip refuses any file but the pinned one.
            _write_private(path, download.requirements_text())
            arguments = download.arguments(requirements_file=str(path))
        else:
            arguments = download.arguments()
        argv = [python, "-m", "pip", *arguments]
        if verbose:
            print(f"Running: {format_command(shown)}", flush=True)
            sys.stderr.flush()
        try:
            if verbose:
                status = subprocess.run(argv, env=env, check=False).returncode
                output = ""
            else:
                result = subprocess.run(
                    argv,
                    env=env,
                    check=False,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    errors="replace",
                )
                status, output = result.returncode, result.stdout or ""
        except OSError as error:
            raise PipBackendError(
                f"cannot run {python} -m pip: {error}",
                hint="--pip takes the path of a Python interpreter that has pip installed",
            ) from None
    if status != 0:
        from tagpip.urls import scrub

        # pip itself prints some URLs with their credentials (a direct URL's "Collecting").
        raise PipFailed(shown, status, scrub(output))


# Where tagpip hands work to pip with several indexes (pipcmd.gives_urls): pip cannot apply
# tagpip's index rule, so it is not asked to.
INDEX_RULE_NOTE = (
    "pip has no first-index rule (it takes the best version from every index, as "
    "--index-strategy unsafe-best-match does) and no --index-for: with several indexes, tagpip "
    "gives pip each file by its URL, so that pip fetches the file tagpip chose"
)


def _say_index_rule(args: argparse.Namespace, options: IndexOptions) -> None:
    """Say :data:`INDEX_RULE_NOTE` on stderr (unless ``-q``) when it applies."""
    from tagpip.pip import gives_urls

    if gives_urls(options) and not getattr(args, "quiet", 0):
        sys.stderr.write(f"note: {INDEX_RULE_NOTE}\n")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file at ``path`` that only this user can read (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file in ``folder`` by name, with its size and modification time (to see changes)."""
    found: dict[str, tuple[int, int]] = {}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.is_file():
            stat = entry.stat()
            found[entry.name] = (stat.st_size, stat.st_mtime_ns)
    return found


def _algorithms(file: DistFile, user_hashes: Mapping[NormalizedName, Sequence[str]]) -> set[str]:
    """sha256, every algorithm pip checks that the file's link uses (md5 included), and every
    strong one a ``--hash`` uses for it."""
    from tagpip.hashes import STRONG, link_algorithms, parse_hash

    named = [parse_hash(text)[0] for text in user_hashes.get(file.project, ())]
    return {"sha256"} | link_algorithms(file.hashes) | {a for a in named if a in STRONG}
