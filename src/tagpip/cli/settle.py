"""The fetching commands' options, settled into values: the target, the index options and the
:class:`tagpip.workflow.fetch.RunSettings` a run's flags and inputs give, and the lines they print.

The order is the pipeline's (docs/architecture.md): requirement text is read and validated first
(:func:`tagpip.workflow.inputs.read_inputs`: all problems of all files at once), then the target is
settled from the command line, the files' option lines, the tag blocks and last the host, then pip's
configuration is merged with what the command line and the files said, and only then does anything
touch the network (:mod:`tagpip.workflow.fetch`). What is here reads ``argparse`` namespaces and
writes to stderr; the library layer underneath does neither.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from tagpip.build import DEFAULT_BUILD_TIMEOUT
from tagpip.cli.options import local_interpreter, named_target
from tagpip.config import IndexOptions, PipSettings, load_index_options, load_pip_settings
from tagpip.errors import Diagnostic, UsageError
from tagpip.resolution import Policy, parse_cutoff, parse_fail_on
from tagpip.target import Target, TargetOptions
from tagpip.workflow import (
    Inputs,
    RunSettings,
    build_rules,
    config_settings,
    index_overrides,
    read_inputs,
    release_control,
    target_from,
    wants_hashes,
)

if TYPE_CHECKING:
    from tagpip.index import HttpIndex, Index
    from tagpip.workflow import Resolved

logger = logging.getLogger("tagpip")

__all__ = [
    "NAMED_TARGETS",
    "TARGET_FLAGS",
    "Run",
    "has_target_options",
    "open_index",
    "resolve",
    "run_settings",
    "say_resolved",
    "settle_index_options",
    "settle_run",
    "settle_target",
    "settle_targets",
]


# pip's flags, which describe one target; and tagpip's named targets (attribute, option).
TARGET_FLAGS = ("platform", "python_version", "implementation", "abi")
NAMED_TARGETS = (
    ("preset", "--preset"),
    ("from_python", "--from-python"),
    ("target_file", "--target-file"),
)


def _named(args: argparse.Namespace, attr: str) -> list[str]:
    """A named-target option's values: a list where the option repeats, else its one value."""
    value = getattr(args, attr, None)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if value else []


def has_target_options(args: argparse.Namespace) -> bool:
    """Whether the command line says anything about the target."""
    return any(getattr(args, flag) for flag in TARGET_FLAGS) or any(
        _named(args, attr) for attr, _ in NAMED_TARGETS
    )


def settle_targets(args: argparse.Namespace, inputs: Inputs) -> list[Target]:
    """One target per ``--preset`` / ``--from-python`` / ``--target-file`` (those options
    repeat for ``lock`` and ``download``), in that order, equal ones once; with at most one, the
    one target :func:`settle_target` settles."""
    bases = [(attr, value) for attr, _ in NAMED_TARGETS for value in _named(args, attr)]
    if len(bases) <= 1:
        return [settle_target(args, inputs)]
    only_presets = all(attr == "preset" for attr, _ in bases)
    flags = [flag for flag in TARGET_FLAGS if getattr(args, flag)]
    if flags and not (only_presets and flags == ["python_version"]):
        raise UsageError(
            "--platform, --python-version, --implementation and --abi describe one target; "
            "with several targets, name each with --preset, --from-python or --target-file",
            hint="--python-version goes with several targets when every one is a --preset",
        )
    targets: list[Target] = []
    for attr, value in bases:
        one = argparse.Namespace(**vars(args))
        for other, _ in NAMED_TARGETS:
            setattr(one, other, value if other == attr else None)
        target = settle_target(one, inputs)
        if not any(t == target for t in targets):
            targets.append(target)
    return targets


def settle_target(args: argparse.Namespace, inputs: Inputs) -> Target:
    """The one target of this run, by the precedence of docs/targets.md (command line first,
    host last)."""
    bases = [(option, value) for attr, option in NAMED_TARGETS for value in _named(args, attr)]
    if len(bases) > 1:
        raise UsageError(f"{bases[0][0]} and {bases[1][0]} both name a target; give one")
    base: Target | None = None
    took_version = False
    if bases:
        base, took_version = named_target(*bases[0], args.python_version)
    command_line = TargetOptions.from_strings(
        platforms=args.platform,
        python_version=None if took_version else args.python_version,
        implementation=args.implementation,
        abis=args.abi,
    )
    target = target_from(inputs, command_line=command_line, base=base)
    print_warnings([Diagnostic("warning", n, None) for n in target.notes], args.quiet)
    return target


def settle_index_options(args: argparse.Namespace, inputs: Inputs, command: str) -> IndexOptions:
    """pip's configuration, then the requirement files' option lines, then the command line.

    As in pip, an ``--index-url`` line in a requirement file replaces the index; extra indexes,
    find-links and trusted hosts from files add to the others
    (:func:`tagpip.workflow.inputs.index_overrides`).
    """
    named, pins, index_url = _index_rules(args)
    overrides: dict[str, object] = {
        "index_url": index_url,
        "extra_index_url": list(args.extra_index_url),
        "find_links": list(args.find_links),
        "no_index": args.no_index,
        "trusted_host": list(args.trusted_host),
        "cert": args.cert,
        "client_cert": args.client_cert,
        "timeout": args.timeout,
        "retries": args.retries,
        "proxy": args.proxy,
        "cache_dir": args.cache_dir,
        "no_cache_dir": args.no_cache_dir,
        "refresh": args.refresh,
        "pre": args.pre,
        "isolated": args.isolated,
        "named_indexes": named,
        "index_pins": pins,
        "index_strategy": getattr(args, "index_strategy", None),
    }
    applied = index_overrides(inputs, overrides)
    notes = applied.pop("notes", None) or []
    assert isinstance(notes, list)
    print_warnings([Diagnostic("warning", str(n), None) for n in notes], args.quiet)
    loaded = load_index_options(command, applied)
    pip = inputs.pip
    if pip is None:  # a lock file: read_inputs did not run
        pip = load_pip_settings(command, isolated=bool(args.isolated))
    _say_pip_settings(
        pip, quiet=int(getattr(args, "quiet", 0) or 0), applied=inputs.pip is not None
    )
    pre = release_control(loaded.pre, getattr(args, "release_control", None) or [], inputs)
    return loaded if pre == loaded.pre else dataclasses.replace(loaded, pre=pre)


def _index_rules(
    args: argparse.Namespace,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str | None]:
    """The command line's ``--index`` values as named indexes, its ``--index-for`` pins, and the
    index URL (``-i``, or a plain ``--index URL``, pip's short form of it)."""
    from tagpip.config import IndexRuleError, parse_index, parse_pin, same_index

    named: list[tuple[str, str]] = []
    pins: list[tuple[str, str]] = []
    index_url: str | None = args.index_url
    try:
        for text in getattr(args, "index", None) or []:
            name, url = parse_index(text)
            if name is None:
                if index_url is not None and not same_index(index_url, url):
                    raise UsageError(
                        f"--index {url} is pip's short form of --index-url, which is given "
                        "already: give one index URL",
                        hint="to add an index, name it: --index NAME=URL",
                    )
                index_url = url
                continue
            if any(n == name and not same_index(u, url) for n, u in named):
                raise UsageError(f"--index {name}=...: the name {name!r} is given twice")
            named.append((name, url))
        pins = [parse_pin(text) for text in getattr(args, "index_for", None) or []]
    except IndexRuleError as error:
        raise UsageError(error.message, hint=error.hint) from None
    return named, pins, index_url


def _say_pip_settings(pip: PipSettings, *, quiet: int, applied: bool) -> None:
    """Under ``-v``, which pip configuration files and ``PIP_*`` variables were read; unless
    ``-qq``, one warning line per option of pip's configuration that tagpip does not apply
    (``constraint`` too when ``applied`` is False: a lock file is fetched as it is)."""
    for path in pip.files:
        logger.info("pip configuration file read: %s", path)
    for variable in pip.variables:
        logger.info("pip environment variable read: %s", variable)
    if quiet >= 2:
        return
    unapplied = [(o.name, o.origin) for o in pip.unapplied]
    if not applied and pip.constraints:
        unapplied.insert(0, ("constraint", pip.constraint_origin or "pip's configuration"))
    for name, origin in unapplied:
        sys.stderr.write(
            f"warning: pip's configuration sets {name} ({origin}), which tagpip does not apply "
            "from pip's configuration: ignored (docs/package-indexes.md lists what applies)\n"
        )


def log_settings(target: Target, options: IndexOptions) -> None:
    """Say, under ``-v`` and in ``--log``, which target and which sources this run uses."""
    from tagpip.urls import redact_url

    logger.info("target: %s", target.describe())
    for url in options.index_urls:
        logger.info("index: %s", redact_url(url))
    if len(options.index_urls) > 1:
        logger.info("index strategy: %s", options.index_strategy)
    for project, url in sorted(options.pinned.items()):
        logger.info("index for %s: %s", project, redact_url(url))
    for link in options.find_links:
        logger.info("find-links: %s", redact_url(link))
    if options.no_cache or options.cache_dir is None:
        logger.info("cache: off")
    else:
        logger.info("cache: %s", options.cache_dir)


@dataclass(frozen=True)
class Run:
    """What a fetching command's options and inputs settle into, before anything touches the
    network: the inputs, the targets (one, or one per named target where those repeat), the
    index options, and the resolver and build settings."""

    inputs: Inputs
    targets: tuple[Target, ...]
    options: IndexOptions
    settings: RunSettings

    @property
    def target(self) -> Target:
        """The one target of a command that takes one."""
        return self.targets[0]


def settle_run(
    args: argparse.Namespace,
    command: str,
    *,
    several: bool = False,
    requirements: Sequence[str] | None = None,
    check_targets: Callable[[Sequence[Target]], None] | None = None,
) -> Run:
    """The setup every fetching command shares, once and in the pipeline's order: the
    cut-offs (so a bad date fails before anything is read), every requirement input with pip's
    configuration for ``command`` (all problems at once; warnings printed), the target (one per
    ``--preset``/``--from-python``/``--target-file`` with ``several``), then ``check_targets``,
    the index options, and the resolver and build settings. ``requirements`` replaces the
    command line's requirement words (``tagpip why NAME`` resolves NAME alone)."""
    cutoffs = parse_cutoffs(args)
    inputs = read_inputs(
        args.requirements if requirements is None else requirements,
        args.requirement,
        args.constraint,
        command=command,
        isolated=args.isolated,
    )
    print_warnings(inputs.warnings, args.quiet)
    targets = settle_targets(args, inputs) if several else [settle_target(args, inputs)]
    if check_targets is not None:
        check_targets(targets)
    options = settle_index_options(args, inputs, command)
    settings = run_settings(args, inputs, options, cutoffs)
    return Run(inputs, tuple(targets), options, settings)


def parse_cutoffs(args: argparse.Namespace) -> tuple[datetime.datetime | None, ...]:
    """``--exclude-newer`` and ``--uploaded-prior-to`` (None where the command has no such
    option), read by the one parser of a cut-off, before anything else is read."""
    return tuple(
        parse_cutoff(getattr(args, attr, None), option=option)
        for attr, option in (
            ("exclude_newer", "--exclude-newer"),
            ("uploaded_prior_to", "--uploaded-prior-to"),
        )
    )


def run_settings(
    args: argparse.Namespace,
    inputs: Inputs,
    options: IndexOptions,
    cutoffs: Sequence[datetime.datetime | None] = (None, None),
) -> RunSettings:
    """The command line's resolver and build options with what the inputs add (hash-checking
    mode, ``--only-binary`` lines, ``-C`` values) and the settled index options' release
    control, as the library layer takes them; ``cutoffs`` are :func:`parse_cutoffs`'. A command
    that lacks an option (``lock`` has no ``--only-deps``) gets its default."""
    no_build, names = build_rules(
        inputs,
        only_binary=list(getattr(args, "only_binary", None) or []),
        no_build=bool(getattr(args, "no_build", False)),
        no_build_packages=list(getattr(args, "no_build_package", None) or []),
    )
    preferred = local_interpreter(getattr(args, "from_python", None))
    return RunSettings(
        policy=Policy(
            pre=options.pre,
            ignore_requires_python=bool(args.ignore_requires_python),
            exclude_newer=cutoffs[0],
            uploaded_prior_to=cutoffs[1],
            allow_quarantined=frozenset(
                canonicalize_name(value.strip())
                for item in getattr(args, "allow_quarantined", None) or ()
                for value in item.split(",")
                if value.strip()
            ),
        ),
        no_deps=bool(args.no_deps),
        only_deps=bool(getattr(args, "only_deps", False)),
        timeout=args.resolve_timeout,
        require_hashes=wants_hashes(
            inputs,
            require_hashes=bool(getattr(args, "require_hashes", False)),
            no_require_hashes=bool(getattr(args, "no_require_hashes", False)),
        ),
        no_build=no_build,
        no_build_packages=names,
        config_settings=config_settings(inputs, list(getattr(args, "config_settings", None) or [])),
        preferred_python=preferred,
        prefer_source=frozenset(
            value.strip() if value.strip() == ":all:" else canonicalize_name(value.strip())
            for item in getattr(args, "prefer_source", None) or ()
            for value in item.split(",")
            if value.strip()
        ),
        build_timeout=getattr(args, "build_timeout", DEFAULT_BUILD_TIMEOUT) or None,
        fail_on_status=parse_fail_on(getattr(args, "fail_on_status", None) or ()),
    )


def resolve(
    args: argparse.Namespace,
    inputs: Inputs,
    index: Index,
    target: Target,
    options: IndexOptions,
    settings: RunSettings,
    **more: Any,
) -> Resolved:
    """:func:`tagpip.workflow.fetch.resolve_for` with the command line's voice: one line per build
    on stderr unless ``-q``, warnings (the builder's, and settings that did nothing) unless ``-qq``.
    ``more`` goes to resolve_for (``on_progress``, ``kept``, ``constraints``)."""
    from tagpip.workflow import resolve_for

    say, warn = voices(args)
    resolved = resolve_for(
        inputs, index, target, options, settings, on_build=say, on_warning=warn, **more
    )
    say_resolved(args, resolved)
    return resolved


def say_resolved(args: argparse.Namespace, resolved: Resolved) -> None:
    """The warnings a resolution leaves (what it assumed, settings that did nothing, files
    checked only by a weak digest), on stderr unless ``-qq``. Several targets resolve the same
    projects: a line is said once per run."""
    if int(getattr(args, "quiet", 0) or 0) < 2:
        _, warn = voices(args)
        said: set[str] = args.__dict__.setdefault("_warned", set())
        for text in resolved.warnings:
            if text not in said:
                said.add(text)
                warn(text)


def open_index(args: argparse.Namespace, options: IndexOptions) -> HttpIndex:
    """The run's index, which says on stderr (unless ``-q``) when a project it serves is on
    more than one index (``note: ...``, once per project, when the resolver first asks)."""
    from tagpip.index import HttpIndex

    quiet = int(getattr(args, "quiet", 0) or 0)

    def note(text: str) -> None:
        if not quiet:
            sys.stderr.write(f"note: {text}\n")

    return HttpIndex(options, on_note=note)


def voices(args: argparse.Namespace) -> tuple[Callable[[str], None], Callable[[str], None]]:
    """A builder's two callbacks: one line per build on stderr unless ``-q``, and warnings
    (printed even under ``-q``, as a build's metadata-honesty warnings always were)."""
    quiet = int(getattr(args, "quiet", 0) or 0)

    def say(text: str) -> None:
        if not quiet:
            sys.stderr.write(text + "\n")

    def warn(text: str) -> None:
        sys.stderr.write(f"warning: {text}\n")

    return say, warn


def check_fetch_args(args: argparse.Namespace, command: str, example: str) -> None:
    """The usage rules download and install share: wheels only, one dependency mode, and
    something to fetch (``example`` is the command line the hint suggests)."""
    for value in args.no_binary:
        if value.strip() != ":none:":
            raise UsageError(
                "--no-binary is not supported: tagpip builds from source only a project with "
                "no wheel for the target"
            )
    if args.no_deps and args.only_deps:
        raise UsageError("--no-deps and --only-deps cannot be used together")
    if not (args.requirements or args.requirement):
        raise UsageError(
            f"nothing to {command}: give requirements or -r FILE",
            hint=f"for example: {example}",
        )


def print_downloaded(saved: Sequence[tuple[object, bool]], names: Iterable[str]) -> None:
    """pip's closing lines: ``Saved PATH`` (or ``File was already downloaded PATH`` for a file
    that was kept) per file, then ``Successfully downloaded NAME ...`` (each name once)."""
    for path, reused in saved:
        verb = "File was already downloaded" if reused else "Saved"
        print(f"{verb} {path}")
    if saved:
        print("Successfully downloaded " + " ".join(dict.fromkeys(names)))


def print_warnings(warnings: Sequence[Diagnostic], quiet: int) -> None:
    """Warnings go to stderr unless ``-qq``: as in pip, one ``-q`` drops progress and notes,
    not warnings (a warning is what a user must not miss)."""
    if quiet >= 2 or not warnings:
        return
    from tagpip.cli.render import render_diagnostic

    for warning in warnings:
        sys.stderr.write(render_diagnostic(warning) + "\n")
