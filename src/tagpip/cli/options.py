"""pip-compatible options shared by the commands that fetch (download, later install and lock).

Every option pip 26's ``pip download`` has is either accepted here, with pip's meaning, or refused
by name with the reason, so that a command line copied from pip never has an option silently
ignored. tagpip's own target options (``--preset``, ``--from-python``, ``--target-file``) sit
beside pip's (``--platform``, ``--python-version``, ``--implementation``, ``--abi``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tagpip.target import Target

__all__ = [
    "DEFAULT_RESOLVE_TIMEOUT",
    "REFUSED",
    "RefuseOption",
    "add_exclude_newer_option",
    "add_fetch_options",
    "add_output_options",
    "add_refused",
    "add_target_options",
    "local_interpreter",
    "named_target",
]

# Generous: a real requirement set that backtracks sensibly resolves in seconds; one that runs
# this long is walking a search it will not finish, and a constraint is the way out.
DEFAULT_RESOLVE_TIMEOUT = 120.0


def _seconds(text: str) -> float:
    """A non-negative number of seconds, for argparse (which names the option on error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or a positive number of seconds: {text!r}")
    return value


# Options pip download has that tagpip refuses, with why.
_BUILD_ONLY = (
    "tagpip builds pure-Python sources only in isolated PEP 517 environments of its own,"
    " so build options do not apply"
)
REFUSED: dict[str, tuple[int, str]] = {
    # option: (number of values it takes, reason)
    "--build-constraint": (1, _BUILD_ONLY),
    "--no-build-isolation": (0, _BUILD_ONLY),
    "--check-build-dependencies": (0, _BUILD_ONLY),
    "--no-clean": (0, _BUILD_ONLY),
    "--src": (
        1,
        "tagpip does not check out editable projects (it installs wheels for another machine)",
    ),
    "--global-option": (1, _BUILD_ONLY),
    "--use-pep517": (0, _BUILD_ONLY),
    "--requirements-from-script": (1, "PEP 723 script metadata is not supported yet"),
    "--group": (1, "dependency groups (PEP 735) are not supported yet"),
    "--refresh-package": (1, "use --refresh to revalidate every cached page"),
    "--use-feature": (1, "pip's feature flags do not apply to tagpip"),
    "--use-deprecated": (1, "pip's feature flags do not apply to tagpip"),
    "--resume-retries": (1, "resuming partial downloads is not supported; use --retries"),
    "--require-virtualenv": (0, "tagpip never installs into the running environment"),
    "--python": (1, "to fetch for another interpreter, use --from-python PATH"),
    "--keyring-provider": (1, "keyring lookups are not supported yet; put credentials in the URL"),
}


class _ReleaseOption(argparse.Action):
    """``--all-releases`` and ``--only-final`` into one list, in the order written: pip applies
    them in order (a name given to one leaves the other)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, str) and values.startswith("-"):
            parser.error(f"{option_string} needs a value: project names, ':all:' or ':none:'")
        written = [*getattr(namespace, self.dest, []), (self.const, str(values))]
        setattr(namespace, self.dest, written)


class RefuseOption(argparse.Action):
    """Fail at parse time, naming the option and why tagpip does not take it (the reason is the
    action's ``const``: one action for every command's table of refused options)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(f"{option_string} is not supported: {self.reason(values, option_string)}")

    def reason(self, values: str | Sequence[Any] | None, option_string: str | None) -> str:
        """Why the option is refused (what was given, and how, may add to it)."""
        return str(self.const)


def add_refused(
    parser: argparse.ArgumentParser,
    title: str,
    table: dict[str, tuple[int, str]],
    *,
    actions: dict[str, type[RefuseOption]] | None = None,
    aliases: dict[str, str] | None = None,
) -> None:
    """Add every option of ``table`` (option: (number of values, reason)) as refused, hidden
    from ``--help`` and listed by the reference (docs/commands.md) with its reason, in the
    table's order; ``actions`` gives an option an action of its own (a longer reason),
    ``aliases`` its short name."""
    group = parser.add_argument_group(title)
    for option, (nargs, reason) in table.items():
        names = [aliases[option], option] if aliases and option in aliases else [option]
        action = (actions or {}).get(option, RefuseOption)
        group.add_argument(*names, action=action, nargs=nargs, const=reason, help=argparse.SUPPRESS)


def _index_strategy(text: str) -> str:
    """``--index-strategy``: uv's names and aliases, as their canonical name."""
    from tagpip.config import IndexRuleError, parse_strategy

    try:
        return parse_strategy(text)
    except IndexRuleError as error:
        raise argparse.ArgumentTypeError(f"{error.message}: {error.hint}") from None


def add_target_options(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    """The target: pip's four flags, plus tagpip's presets, interpreters and target files.

    With ``several``, ``--preset``, ``--from-python`` and ``--target-file`` repeat (each names
    one more target: ``lock`` and ``download`` resolve each); given once, they mean what they mean
    without ``several``. The values are then lists (see :func:`tagpip.cli.settle.settle_targets`).
    """
    title = (
        "targets (repeat --preset, --from-python or --target-file for several targets)"
        if several
        else "target (default: the option lines and tag blocks)"
    )
    group = parser.add_argument_group(title)
    group.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="a platform tag of the target; repeat for several, most preferred first "
        "(manylinux_2_28_x86_64 also accepts every older manylinux level)",
    )
    group.add_argument("--python-version", metavar="VERSION", help="X.Y, X.Y.Z or pip's XY")
    group.add_argument("--implementation", metavar="IMPL", help="cp, pp, py, ...")
    group.add_argument(
        "--abi",
        action="append",
        default=[],
        metavar="ABI",
        help="an ABI of the target (derived from the version when omitted)",
    )
    repeat: dict[str, Any] = {"action": "append", "default": []} if several else {}
    from tagpip.presetfacts import help_summary

    group.add_argument(
        "--preset",
        metavar="NAME",
        help=f"a named target: {help_summary()}; with --python-version, another Python of that "
        "place (tagpip tags --list-presets shows each one's Python, platform and source)",
        **repeat,
    )
    group.add_argument(
        "--from-python",
        metavar="PATH",
        help="the target is this interpreter; or a command line that runs one elsewhere, "
        'its program read from standard input ("docker run --rm -i IMAGE python3", '
        '"ssh HOST python3")',
        **repeat,
    )
    group.add_argument(
        "--target-file", metavar="FILE", help="a target written by tagpip tags --json", **repeat
    )


def named_target(option: str, value: str, python_version: str | None) -> tuple[Target, bool]:
    """The target ``--preset``, ``--from-python`` or ``--target-file`` names, and whether it
    took ``--python-version``: a preset does (another Python of its place, the rest unchanged);
    the others describe one real interpreter, which the flags may not change."""
    from tagpip.target import preset, target_from_file, target_from_python

    if option == "--preset":
        return preset(value, python_version), python_version is not None
    if option == "--from-python":
        return target_from_python(value), False
    return target_from_file(value), False


def local_interpreter(from_python: str | list[str] | None) -> str | None:
    """The ``--from-python`` interpreter that builds may run on this machine: the first one
    given, unless it is a command line that runs one elsewhere (docker, ssh, chroot), whose
    interpreter cannot see this machine's files."""
    if isinstance(from_python, list):
        from_python = from_python[0] if from_python else None
    if not from_python:
        return None
    from tagpip.target import TargetError, interpreter_command

    try:
        one = len(interpreter_command(from_python)) == 1
    except TargetError:
        return None
    return from_python if one else None


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    """Requirement inputs, package selection and index options, with pip's names and meanings."""
    from tagpip.build import DEFAULT_BUILD_TIMEOUT

    parser.add_argument(
        "requirements", nargs="*", metavar="REQUIREMENT", help="tagged requirements"
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="read requirements from FILE (tagged requirements, a tagpip lock or pylock.toml)",
    )
    parser.add_argument(
        "-c",
        "--constraint",
        action="append",
        default=[],
        metavar="FILE",
        help="constrain versions (and, with a tag block, wheels) with the lines of FILE",
    )
    parser.add_argument("--no-deps", action="store_true", help="do not fetch dependencies")
    parser.add_argument(
        "--only-deps", action="store_true", help="fetch the dependencies, not the projects named"
    )
    parser.add_argument(
        "--require-hashes",
        action="store_true",
        default=None,
        help="require a --hash for every project (any --hash in a file turns this on)",
    )
    parser.add_argument(
        "--no-require-hashes",
        action="store_true",
        help="do not require hashes, even when a file has --hash or --require-hashes",
    )
    parser.add_argument(
        "--ignore-requires-python",
        action="store_true",
        help="ignore the Requires-Python of projects (checked against the target's Python)",
    )
    parser.add_argument("--pre", action="store_true", help="include pre-releases")
    parser.add_argument(
        "-C",
        "--config-settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for the build backend of every project built from source (pip's option)",
    )
    for option, kind, words in (
        ("--all-releases", "all_releases", "allow pre-releases for"),
        ("--only-final", "only_final", "never pick pre-releases of"),
    ):
        parser.add_argument(
            option,
            dest="release_control",
            action=_ReleaseOption,
            const=kind,
            default=[],
            metavar="NAMES",
            help=f"{words} these projects (comma-separated, ':all:' or ':none:'; pip 26's option)",
        )
    parser.add_argument(
        "--only-binary",
        action="append",
        default=[],
        metavar="FORMAT",
        help="':all:' or project names: never build these from their sdist (pip's option)",
    )
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="never build a project from its sdist, even when it has no wheel for the target",
    )
    parser.add_argument(
        "--no-build-package",
        action="append",
        default=[],
        metavar="NAME",
        help="never build NAME from its sdist (repeatable)",
    )
    parser.add_argument(
        "--no-binary",
        action="append",
        default=[],
        metavar="FORMAT",
        help="only ':none:' is accepted: tagpip builds a source only when no wheel fits",
    )
    parser.add_argument(
        "--prefer-binary",
        action="store_true",
        help="pip's option; tagpip's default: a version with a wheel for the target comes "
        "before every version that ships only an sdist",
    )
    parser.add_argument(
        "--prefer-source",
        action="append",
        default=[],
        metavar="NAME",
        help="take NAME's newest version even when only its sdist fits the target (built, if "
        "pure), instead of an older version's wheel; ':all:' for every project (repeatable)",
    )
    parser.add_argument(
        "--build-timeout",
        type=_seconds,
        default=DEFAULT_BUILD_TIMEOUT,
        metavar="SECONDS",
        help=f"give up one sdist's build after SECONDS and pass that version over (default: "
        f"{DEFAULT_BUILD_TIMEOUT:g}; 0: no limit)",
    )
    parser.add_argument(
        "--uploaded-prior-to",
        metavar="WHEN",
        help=(
            "only files uploaded before WHEN: an ISO 8601 date or time (UTC unless it names a"
            " zone) or P<n>D, n days ago (files without an upload time are left out, as pip"
            " does)"
        ),
    )
    parser.add_argument(
        "--resolve-timeout",
        type=_seconds,
        default=DEFAULT_RESOLVE_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a resolution still running after SECONDS, naming the projects it kept "
        f"backtracking on (default: {DEFAULT_RESOLVE_TIMEOUT:g}; 0: no limit)",
    )
    parser.add_argument(
        "--allow-quarantined",
        action="append",
        default=[],
        metavar="NAME",
        help="take NAME even though its index marks it quarantined (PEP 792: unsafe for any "
        "use), which tagpip refuses otherwise (repeatable)",
    )
    parser.add_argument(
        "--fail-on-status",
        action="append",
        default=[],
        metavar="STATUSES",
        help="fail when a pinned project's index marks it with one of these statuses "
        "(PEP 792: archived, deprecated, quarantined; comma-separated), as a CI check",
    )
    index = parser.add_argument_group("package index options (pip's; PIP_* and pip.conf apply)")
    index.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        help="the default index, searched last (default: PyPI's simple API)",
    )
    index.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index, searched before --index-url (uv's order)",
    )
    index.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a named index, searched before the extra indexes (uv's --index); a plain URL is "
        "pip's short form of --index-url",
    )
    index.add_argument(
        "--index-for",
        action="append",
        default=[],
        metavar="PROJECT=INDEX",
        help="take PROJECT only from INDEX: a name from --index NAME=URL, or a URL",
    )
    index.add_argument(
        "--index-strategy",
        type=_index_strategy,
        metavar="STRATEGY",
        help="first-index (default: the first index that has a project serves all its "
        "versions), unsafe-first-match, or unsafe-best-match (pip's rule: the best version on "
        "any index); uv's names, also read from UV_INDEX_STRATEGY",
    )
    index.add_argument(
        "--no-index", action="store_true", default=None, help="use only --find-links locations"
    )
    index.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="URL",
        help="a folder, HTML file or page whose links are wheels",
    )
    index.add_argument("--proxy", metavar="URL", help="an HTTP(S) proxy, [user:passwd@]host:port")
    index.add_argument(
        "--no-proxy-env",
        action="store_true",
        help="accepted for pip compatibility (proxy variables are still read)",
    )
    index.add_argument(
        "--retries", type=int, metavar="N", help="retries of a failed request (default: 5)"
    )
    index.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="socket timeout for connecting and each read (default: 15); a whole request "
        "may take 10 times it, longer while data keeps coming",
    )
    index.add_argument(
        "--trusted-host",
        action="append",
        default=[],
        metavar="HOST",
        help="allow plain http and skip TLS checks for HOST or HOST:PORT",
    )
    index.add_argument("--cert", metavar="PATH", help="a CA bundle to use instead of the default")
    index.add_argument(
        "--client-cert", metavar="PATH", help="a PEM file with a client certificate and its key"
    )
    index.add_argument("--cache-dir", metavar="DIR", help="the HTTP cache's parent folder")
    index.add_argument(
        "--no-cache-dir", action="store_true", default=None, help="do not use the HTTP cache"
    )
    index.add_argument(
        "--refresh",
        action="store_true",
        help="ask the index about every cached project page, even one it said is still fresh",
    )
    index.add_argument("--isolated", action="store_true", help="ignore PIP_* and pip.conf files")
    add_refused(parser, "pip options tagpip refuses (see docs/download.md)", REFUSED)


def add_exclude_newer_option(parser: argparse.ArgumentParser) -> None:
    """``--exclude-newer`` (lock, why, matrix): the cut-off a reproducible lock is made with."""
    parser.add_argument(
        "--exclude-newer",
        metavar="DATE",
        help="ignore files uploaded after DATE: an ISO 8601 date or time (UTC unless it names a "
        "zone) or P<n>D, n days ago",
    )


def add_output_options(parser: argparse.ArgumentParser, *, writes_files: bool = True) -> None:
    """Verbosity, progress and pip's general options that only change presentation. A command
    that writes no file (``why``, ``matrix``) still accepts ``--exists-action`` (scripts pass
    pip's general options everywhere) but does not list it, and its progress is the resolver's
    status line."""
    group = parser.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="print less: -q drops progress and notes, -qq warnings too (as pip)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="print the target, configuration and indexes in use (-vv: debug detail)",
    )
    group.add_argument(
        "--progress-bar",
        choices=["auto", "on", "off", "raw"],
        default="auto",
        help="as pip" if writes_files else "the resolver's status line on stderr (as pip's)",
    )
    group.add_argument("--log", metavar="PATH", help="append a verbose log to PATH")
    group.add_argument("--no-color", action="store_true", help="accepted; tagpip prints no colour")
    group.add_argument("--no-input", action="store_true", help="tagpip never prompts")
    group.add_argument(
        "--disable-pip-version-check", action="store_true", help="accepted; tagpip never checks"
    )
    group.add_argument(
        "--exists-action",
        choices=["s", "i", "w", "b", "a"],
        help="accepted; tagpip keeps a valid file and replaces an invalid one"
        if writes_files
        else argparse.SUPPRESS,
    )
    group.add_argument("--debug", action="store_true", help="let internal errors show a traceback")
