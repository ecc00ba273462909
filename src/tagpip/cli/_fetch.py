"""What download (and later install and lock) share: reading the inputs, settling the target and
the index options, and resolving.

The order is the pipeline's (docs/architecture.md): requirement text is read and validated first
(all problems of all files at once), then the target is settled from the command line, the files'
option lines, the tag blocks and last the host, then pip's configuration is merged with what the
command line and the files said, and only then does anything touch the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName

from tagpip.errors import Diagnostic, TagpipError, UsageError, ValidationError
from tagpip.pipconfig import IndexOptions, PipSettings, load_index_options, load_pip_settings
from tagpip.presets import preset
from tagpip.releases import Kind, ReleaseControl
from tagpip.syntax import (
    FileOptions,
    RequirementSyntaxError,
    TaggedRequirement,
    check_requirements_file,
    parse_line,
)
from tagpip.target import Sourced, Target, TargetOptions

if TYPE_CHECKING:
    from packaging.version import Version

    from tagpip.build import SourceBuilder
    from tagpip.index import Index
    from tagpip.resolve import Resolution

logger = logging.getLogger("tagpip")

__all__ = [
    "NAMED_TARGETS",
    "TARGET_FLAGS",
    "Inputs",
    "has_target_options",
    "read_inputs",
    "settle_index_options",
    "settle_target",
    "settle_targets",
]


@dataclass(frozen=True)
class Inputs:
    """Everything the requirement inputs said: lines, constraints, option lines, warnings, and
    what pip's configuration adds (``pip``: None when it was not read)."""

    requirements: tuple[TaggedRequirement, ...]
    constraints: tuple[TaggedRequirement, ...]
    file_options: tuple[FileOptions, ...]
    warnings: tuple[Diagnostic, ...] = field(default=())
    pip: PipSettings | None = None

    @property
    def config_settings(self) -> dict[NormalizedName, list[str]]:
        """``-C KEY=VALUE`` values per project, from the requirement lines."""
        settings: dict[NormalizedName, list[str]] = {}
        for line in self.requirements:
            if line.config_settings:
                settings.setdefault(line.name, []).extend(line.config_settings)
        return settings

    @property
    def user_hashes(self) -> dict[NormalizedName, list[str]]:
        """``--hash`` values per project, from the requirement lines (constraints too, as pip)."""
        hashes: dict[NormalizedName, list[str]] = {}
        for line in (*self.requirements, *self.constraints):
            hashes.setdefault(line.name, []).extend(line.hashes)
        return {name: values for name, values in hashes.items() if values}


def read_inputs(
    requirement_args: Sequence[str],
    requirement_files: Sequence[str],
    constraint_files: Sequence[str],
    *,
    command: str | None = None,
    isolated: bool = False,
) -> Inputs:
    """Parse command-line requirements and every file, reporting all problems in one error.

    With ``command`` (``"download"``, ``"install"``, ...), pip's configuration for it is read
    too (not with ``isolated``), and the constraints files its ``constraint`` names
    (``PIP_CONSTRAINT``) come first, before ``constraint_files``, as pip puts them."""
    diagnostics: list[Diagnostic] = []
    pip: PipSettings | None = None
    if command is not None:
        pip = load_pip_settings(command, isolated=isolated)
        for path in pip.constraints:
            if not os.path.isfile(path):
                diagnostics.append(
                    Diagnostic(
                        "error",
                        f"pip's configuration ({pip.constraint_origin}) names the constraints "
                        f"file {path}, which does not exist",
                        hint="fix the setting, or give --isolated to ignore pip's configuration",
                    )
                )
        constraint_files = [*pip.constraints, *constraint_files]
    pip_named = set(pip.constraints) if pip is not None else set()
    requirements: list[TaggedRequirement] = []
    constraints: list[TaggedRequirement] = []
    options: list[FileOptions] = []
    for number, text in enumerate(requirement_args, start=1):
        try:
            requirements.append(parse_line(text, source="<command line>", line=number))
        except RequirementSyntaxError as error:
            diagnostics.append(Diagnostic("error", error.message, error.span, error.hint))
        except TagpipError as error:
            diagnostics.append(Diagnostic("error", error.message, error.span, error.hint))
    for path, constraint in [(p, False) for p in requirement_files] + [
        (p, True) for p in constraint_files if os.path.isfile(p) or p not in pip_named
    ]:
        result = check_requirements_file(path, constraint=constraint)
        diagnostics.extend(result.diagnostics)
        requirements.extend(result.requirements)
        constraints.extend(result.constraints)
        options.append(result.options)
    if any(d.severity == "error" for d in diagnostics):
        raise ValidationError(diagnostics)
    for file_options in options:
        for value in file_options.no_binary:
            if value.value.strip() != ":none:":
                raise TagpipError(
                    "--no-binary is not supported: tagpip builds from source only a project "
                    "with no wheel for the target",
                    span=value.span,
                    hint="remove the option line",
                )
    return Inputs(
        tuple(requirements),
        tuple(constraints),
        tuple(options),
        tuple(d for d in diagnostics if d.severity == "warning"),
        pip,
    )


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
    if any(getattr(args, flag) for flag in TARGET_FLAGS):
        raise UsageError(
            "--platform, --python-version, --implementation and --abi describe one target; "
            "with several targets, name each with --preset, --from-python or --target-file"
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
    if bases:
        option, value = bases[0]
        if option == "--preset":
            base = preset(value)
        elif option == "--from-python":
            base = Target.from_python(value)
        else:
            base = Target.from_file(value)
    command_line = TargetOptions.from_strings(
        platforms=args.platform,
        python_version=args.python_version,
        implementation=args.implementation,
        abis=args.abi,
    )
    file_layers = [
        TargetOptions(
            platforms=tuple(Sourced(v.value, v.span) for v in o.platforms),
            python_version=(
                Sourced(o.python_version.value, o.python_version.span) if o.python_version else None
            ),
            implementation=(
                Sourced(o.implementation.value, o.implementation.span) if o.implementation else None
            ),
            abis=tuple(Sourced(v.value, v.span) for v in o.abis),
        )
        for o in inputs.file_options
    ]
    blocks = [r.tags for r in (*inputs.requirements, *inputs.constraints) if r.tags is not None]
    target = Target.from_sources(
        command_line=command_line,
        base=base,
        file_options=[layer for layer in file_layers if not layer.is_empty()],
        blocks=blocks,
    )
    print_warnings([Diagnostic("warning", n, None) for n in target.notes], args.quiet)
    return target


def settle_index_options(args: argparse.Namespace, inputs: Inputs, command: str) -> IndexOptions:
    """pip's configuration, then the requirement files' option lines, then the command line.

    As in pip, an ``--index-url`` line in a requirement file replaces the index; extra indexes,
    find-links and trusted hosts from files add to the others.
    """
    overrides: dict[str, object] = {
        "index_url": args.index_url,
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
    }
    for options in inputs.file_options:
        if options.index_url is not None:
            overrides["index_url"] = options.index_url.value
        overrides["extra_index_url"] = [
            *overrides["extra_index_url"],  # type: ignore[misc]
            *(v.value for v in options.extra_index_urls),
        ]
        overrides["find_links"] = [
            *overrides["find_links"],  # type: ignore[misc]
            *(_relative_to(v.value, v.span.source) for v in options.find_links),
        ]
        overrides["trusted_host"] = [
            *overrides["trusted_host"],  # type: ignore[misc]
            *(v.value for v in options.trusted_hosts),
        ]
        if options.no_index is not None:
            overrides["no_index"] = True
    loaded = load_index_options(command, overrides)
    pip = inputs.pip
    if pip is None:  # a lock file: read_inputs did not run
        pip = load_pip_settings(command, isolated=bool(args.isolated))
    _say_pip_settings(
        pip, quiet=int(getattr(args, "quiet", 0) or 0), applied=inputs.pip is not None
    )
    pre = release_control(loaded.pre, getattr(args, "release_control", None) or [], inputs)
    return loaded if pre == loaded.pre else dataclasses.replace(loaded, pre=pre)


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
    from tagpip.index import redact_url

    logger.info("target: %s", target.describe())
    for url in options.index_urls:
        logger.info("index: %s", redact_url(url))
    for link in options.find_links:
        logger.info("find-links: %s", redact_url(link))
    if options.no_cache or options.cache_dir is None:
        logger.info("cache: off")
    else:
        logger.info("cache: %s", options.cache_dir)


def build_rules(args: argparse.Namespace, inputs: Inputs) -> tuple[bool, frozenset[str]]:
    """Whether nothing may be built, and which projects may not: pip's ``--only-binary``
    (``:all:`` or names; ``:none:`` clears what came before), from the files' option lines then
    the command line, plus uv's ``--no-build`` and ``--no-build-package``."""
    from packaging.utils import canonicalize_name

    values = [v.value for o in inputs.file_options for v in o.only_binary]
    values += list(getattr(args, "only_binary", []) or [])
    no_build = bool(getattr(args, "no_build", False))
    names: set[str] = {canonicalize_name(n) for n in getattr(args, "no_build_package", []) or []}
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item == ":all:":
                no_build = True
            elif item == ":none:":
                no_build = bool(getattr(args, "no_build", False))
                names = {canonicalize_name(n) for n in getattr(args, "no_build_package", []) or []}
            elif item:
                names.add(canonicalize_name(item))
    return no_build, frozenset(names)


def resolve_inputs(
    args: argparse.Namespace,
    inputs: Inputs,
    index: Index,
    target: Target,
    options: IndexOptions,
    *,
    on_progress: Callable[[str], None] | None = None,
    builder: SourceBuilder | None = None,
    exclude_newer: datetime.datetime | None = None,
    uploaded_prior_to: datetime.datetime | None = None,
    kept: Mapping[NormalizedName, tuple[Version, str]] | None = None,
    constraints: Sequence[TaggedRequirement] = (),
) -> Resolution:
    """Resolve the inputs for ``target`` under the run's options: the one call ``download``,
    ``install``, ``bundle``, ``lock`` and ``why`` share, so a new resolver option reaches them
    all. ``kept`` (``lock``'s pins from an existing lock) goes through
    :func:`tagpip.lockkept.resolve_keeping`; ``constraints`` are added to the inputs' own."""
    from tagpip.lockkept import resolve_keeping
    from tagpip.resolve import resolve

    resolution = (resolve if kept is None else functools.partial(resolve_keeping, kept=kept))(
        inputs.requirements,
        target,
        index,
        constraints=[*inputs.constraints, *constraints],
        pre=options.pre,
        ignore_requires_python=args.ignore_requires_python,
        no_deps=args.no_deps,
        exclude_newer=exclude_newer,
        uploaded_prior_to=uploaded_prior_to,
        on_progress=on_progress,
        builder=builder,
        timeout=args.resolve_timeout,
    )
    if int(getattr(args, "quiet", 0) or 0) < 2:
        for text in unused_settings(inputs, resolution.pins, builder):
            sys.stderr.write(f"warning: {text}\n")
    return resolution


def _config_settings(args: argparse.Namespace, inputs: Inputs) -> dict[NormalizedName, list[str]]:
    """The build settings per project, the command line's ``-C`` values under the key ``""``."""
    given = list(getattr(args, "config_settings", None) or [])
    wrong = [item for item in given if "=" not in item]
    if wrong:
        raise UsageError(f"-C/--config-settings takes KEY=VALUE, not {wrong[0]!r}")
    settings = inputs.config_settings
    if given:
        settings[NormalizedName("")] = given
    return settings


def unused_settings(
    inputs: Inputs, pins: Sequence[Any], builder: SourceBuilder | None
) -> list[str]:
    """One warning text per project whose line gives ``-C`` settings although it resolved to a
    wheel (not one built from its source): the settings do nothing (pip drops them silently)."""
    built = builder.sources if builder is not None else {}
    wheels = {pin.name for pin in pins if pin.file.is_wheel and pin.file.url not in built}
    return [
        f"{line.name}: the -C/--config-settings of {line.span.source}:{line.span.line} are not "
        "used: a wheel was picked, and settings apply only to builds from source"
        for line in inputs.requirements
        if line.config_settings and line.name in wheels
    ]


def make_builder(
    args: argparse.Namespace, inputs: Inputs, index: Index, target: Target, options: IndexOptions
) -> SourceBuilder | None:
    """The run's :class:`tagpip.build.SourceBuilder` (it prints one line per build on stderr
    unless ``-q``, and the metadata-honesty warnings), or None when nothing may be built."""
    from tagpip.build import SourceBuilder

    no_build, names = build_rules(args, inputs)
    if no_build:
        return None
    quiet = bool(getattr(args, "quiet", 0))

    def say(text: str) -> None:
        if not quiet:
            sys.stderr.write(text + "\n")

    def warn(text: str) -> None:
        sys.stderr.write(f"warning: {text}\n")

    preferred = getattr(args, "from_python", None)
    if isinstance(preferred, list):
        preferred = preferred[0] if preferred else None
    return SourceBuilder(
        index,
        target,
        options,
        no_build_packages=names,
        user_hashes=inputs.user_hashes,
        require_hashes=wants_hashes(args, inputs),
        config_settings=_config_settings(args, inputs),
        preferred_python=preferred,
        on_build=say,
        on_warning=warn,
    )


def build_pins(pins: Sequence[Any], builder: SourceBuilder | None) -> list[Any]:
    """The pins with each sdist replaced by its built, checked wheel (nothing of a refused build
    reaches the destination: check_pure raises before any file is written there)."""
    import dataclasses

    out = []
    for pin in pins:
        if not pin.file.is_wheel and builder is not None:
            built = builder.wheel(pin.file)
            pin = dataclasses.replace(pin, file=built.file)
        out.append(pin)
    return out


def built_hashes(
    pins: Sequence[Any], user_hashes: dict[NormalizedName, list[str]]
) -> dict[NormalizedName, list[str]]:
    """The user's hashes without those of built projects: they named the sdist, which the
    builder checked before building; the built wheel is tagpip's own file."""
    built = {pin.name for pin in pins if pin.file.url.startswith("file:") and pin.file.hashes}
    return {name: values for name, values in user_hashes.items() if name not in built}


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


def wants_hashes(args: argparse.Namespace, inputs: Inputs) -> bool:
    """pip 26's rule (``req_command.get_requirements``): ``--require-hashes`` given, set in
    pip's configuration or in a file; otherwise implied by any ``--hash`` on a requirement or
    constraint line, unless ``--no-require-hashes`` (given or set in a file) turns the
    implication off. Both set at once
    is a usage error, as in pip."""
    required = (
        bool(args.require_hashes)
        or (inputs.pip is not None and inputs.pip.require_hashes)
        or any(o.require_hashes is not None for o in inputs.file_options)
    )
    not_implied = bool(args.no_require_hashes) or any(
        o.no_require_hashes is not None for o in inputs.file_options
    )
    if required and not_implied:
        raise UsageError("--require-hashes and --no-require-hashes are mutually exclusive")
    if required:
        return True
    if not_implied:
        return False
    return any(line.hashes for line in (*inputs.requirements, *inputs.constraints))


def release_control(
    pre: bool | ReleaseControl, written: Sequence[tuple[Kind, str]], inputs: Inputs
) -> bool | ReleaseControl:
    """pip 26's release control once every option is applied, in pip's order: ``--pre`` (the
    command line's or pip.conf's: ``--all-releases :all:``), the command line's
    ``--all-releases`` and ``--only-final`` as ``written``, then each file's lines in reading
    order. ``True`` or ``False`` when it comes down to ``--pre`` or nothing (see
    :mod:`tagpip.releases`)."""
    if pre is True and written:
        raise UsageError("--pre cannot be used with --all-releases or --only-final (as in pip)")
    control = ReleaseControl.of(pre).apply_all(written)
    for options in inputs.file_options:
        for kind, value in options.release_control:
            control = control.apply("all_releases" if kind == "pre" else kind, value.value)  # type: ignore[arg-type]
    if control.everywhere:
        return True
    if control == ReleaseControl():
        return False
    return control


_DAYS = re.compile(r"^P(\d+)D$", re.IGNORECASE)


def parse_cutoff(text: str | None) -> datetime.datetime | None:
    """``--uploaded-prior-to``: an ISO 8601 time (local time zone if none) or ``P<n>D``."""
    if text is None:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    days = _DAYS.match(text.strip())
    if days:
        return now - datetime.timedelta(days=int(days.group(1)))
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--uploaded-prior-to: {text!r} is neither an ISO 8601 time nor P<n>D",
            hint="for example 2024-01-31T00:00:00Z or P7D",
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return when


def _relative_to(link: str, source: str) -> str:
    """A find-links path in a file is relative to that file, as in pip."""
    if "://" in link or os.path.isabs(link) or source.startswith("<"):
        return link
    candidate = os.path.join(os.path.dirname(source), link)
    return candidate if os.path.exists(candidate) else link


def print_warnings(warnings: Sequence[Diagnostic], quiet: int) -> None:
    """Warnings go to stderr unless ``-qq``: as in pip, one ``-q`` drops progress and notes,
    not warnings (a warning is what a user must not miss)."""
    if quiet >= 2 or not warnings:
        return
    from tagpip.cli._render import render_diagnostic

    for warning in warnings:
        sys.stderr.write(render_diagnostic(warning) + "\n")
