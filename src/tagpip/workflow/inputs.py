"""What the requirement inputs say, read once and as values: the lines and constraints of the
command line and every ``-r``/``-c`` file, their option lines, and the rules those imply
(hash-checking mode, what may be built, release control, the index options and target layers the
files add).

This is the first step of every fetching command's library layer (:mod:`tagpip.workflow.fetch`); the
command line (:mod:`tagpip.cli`) adds its own flags to what is settled here and never reads a
file itself. Nothing here prints: warnings travel in :attr:`Inputs.warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from tagpip.config import Kind, PipSettings, ReleaseControl, load_pip_settings
from tagpip.errors import Diagnostic, Span, TagpipError, UsageError, ValidationError
from tagpip.requirements import (
    FileOptions,
    RequirementSyntaxError,
    TaggedRequirement,
    check_requirements_file,
    parse_line,
)
from tagpip.target import Sourced, TargetOptions, target_from_sources

if TYPE_CHECKING:
    from tagpip.target import Target

__all__ = [
    "Inputs",
    "build_rules",
    "config_settings",
    "index_overrides",
    "read_inputs",
    "release_control",
    "target_from",
    "wants_hashes",
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


def target_from(
    inputs: Inputs, *, command_line: TargetOptions, base: Target | None = None
) -> Target:
    """The one target of a run, by the precedence of docs/targets.md: the command line's flags
    (``command_line``) over a named ``base`` target (a preset, an interpreter, a target file),
    over the files' option lines, over the tag blocks, and last the host."""

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
    return target_from_sources(
        command_line=command_line,
        base=base,
        file_options=[layer for layer in file_layers if not layer.is_empty()],
        blocks=blocks,
    )


def index_overrides(inputs: Inputs, given: dict[str, object]) -> dict[str, object]:
    """The command line's index options (``given``, as :func:`tagpip.config.pip.load_index_options`
    takes them) with the files' option lines applied, as pip applies them: an ``--index-url``
    line replaces the index; extra indexes, find-links (relative to their file) and trusted
    hosts add to the others; ``--no-index`` sets it. An ``--index-url`` line replaces the whole
    list, extra indexes given before it included (the command line's too), as pip does; that is
    said in ``notes`` (a list of lines for the user)."""
    overrides = dict(given)
    extra = list(overrides.get("extra_index_url") or [])  # type: ignore[call-overload]
    links = list(overrides.get("find_links") or [])  # type: ignore[call-overload]
    hosts = list(overrides.get("trusted_host") or [])  # type: ignore[call-overload]
    notes: list[str] = []
    for options in inputs.file_options:
        if options.index_url is not None:
            overrides["index_url"] = options.index_url.value
            if extra:
                # pip's handle_option_line replaces the whole index list: the command line's
                # extra indexes and earlier files' go (the file's own before the line already
                # went, with a warning, when it was read).
                where = f"{options.index_url.span.source}:{options.index_url.span.line}"
                notes.append(
                    f"--index-url at {where} replaces the indexes given before it, as pip does: "
                    f"{', '.join(extra)} is not used (give --extra-index-url after it to keep one)"
                )
                extra = []
        extra += [v.value for v in options.extra_index_urls]
        links += [_relative_to(v.value, v.span.source) for v in options.find_links]
        hosts += [v.value for v in options.trusted_hosts]
        if options.no_index is not None:
            overrides["no_index"] = True
    overrides.update(extra_index_url=extra, find_links=links, trusted_host=hosts)
    overrides.update(_index_rules(inputs, given))
    overrides["notes"] = notes
    return overrides


def _index_rules(inputs: Inputs, given: dict[str, object]) -> dict[str, object]:
    """The index rules (:mod:`tagpip.config.indexrules`) of the command line (``given``: its
    ``named_indexes`` as ``(name, url)`` pairs, ``index_pins`` as ``(project, index)`` pairs and
    ``index_strategy``) and the files, files after the command line as for extra indexes; the
    command line's strategy wins over the files' (the last file's). A name given twice for two
    URLs, or a pin to a name no index has, is an error naming where it was written."""
    from tagpip import config

    named: list[tuple[str, str]] = list(given.get("named_indexes") or [])  # type: ignore[call-overload]
    pins: list[tuple[str, str]] = list(given.get("index_pins") or [])  # type: ignore[call-overload]
    where: dict[str, Span | None] = dict.fromkeys((name for name, _ in named), None)
    pin_spans: list[Span | None] = [None] * len(pins)
    strategy = given.get("index_strategy")
    for options in inputs.file_options:
        for value in options.named_indexes:
            name, url = config.parse_index(value.value)
            assert name is not None  # a plain URL went to index_url (syntax)
            earlier = next((u for n, u in named if n == name), None)
            if earlier is not None and not config.same_index(earlier, url):
                raise TagpipError(
                    f"--index {name}=...: the name {name!r} is already given to another URL "
                    f"({_at(where[name])})",
                    span=value.span,
                    hint="give each index its own name",
                )
            named.append((name, url))
            where.setdefault(name, value.span)
        for value in options.index_pins:
            pins.append(config.parse_pin(value.value))
            pin_spans.append(value.span)
        if options.index_strategy is not None and strategy is None:
            strategy = config.parse_strategy(options.index_strategy.value)
    names = {name for name, _ in named}
    for (project, reference), span in zip(pins, pin_spans):
        if config.is_url(reference) or reference in names:
            continue
        message = (
            f"--index-for {project}={reference}: no index is named {reference!r} "
            f"(named: {', '.join(sorted(names)) or 'none'})"
        )
        hint = f"name it with --index {reference}=URL, or give the index's URL"
        if span is None:
            raise UsageError(message, hint=hint)
        raise TagpipError(message, span=span, hint=hint)
    found: dict[str, object] = {"named_indexes": tuple(named), "index_pins": tuple(pins)}
    if strategy is not None:
        found["index_strategy"] = strategy
    return found


def _at(span: Span | None) -> str:
    return "on the command line" if span is None else f"at {span.source}:{span.line}"


def build_rules(
    inputs: Inputs,
    *,
    only_binary: Sequence[str] = (),
    no_build: bool = False,
    no_build_packages: Sequence[str] = (),
) -> tuple[bool, frozenset[str]]:
    """Whether nothing may be built, and which projects may not: pip's ``--only-binary``
    (``:all:`` or names; ``:none:`` clears what came before), from the files' option lines then
    the command line's ``only_binary``, plus uv's ``--no-build`` and ``--no-build-package``."""
    values = [v.value for o in inputs.file_options for v in o.only_binary]
    values += list(only_binary)
    nothing = no_build
    names: set[str] = {canonicalize_name(n) for n in no_build_packages}
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item == ":all:":
                nothing = True
            elif item == ":none:":
                nothing = no_build
                names = {canonicalize_name(n) for n in no_build_packages}
            elif item:
                names.add(canonicalize_name(item))
    return nothing, frozenset(names)


def config_settings(inputs: Inputs, given: Sequence[str] = ()) -> dict[NormalizedName, list[str]]:
    """The build settings per project: the requirement lines' ``-C`` values, and the command
    line's (``given``) under the key ``""``, which applies to every build."""
    wrong = [item for item in given if "=" not in item]
    if wrong:
        raise UsageError(f"-C/--config-settings takes KEY=VALUE, not {wrong[0]!r}")
    settings = inputs.config_settings
    if given:
        settings[NormalizedName("")] = list(given)
    return settings


def wants_hashes(inputs: Inputs, *, require_hashes: bool, no_require_hashes: bool) -> bool:
    """pip 26's rule (``req_command.get_requirements``): ``--require-hashes`` given, set in
    pip's configuration or in a file; otherwise implied by any ``--hash`` on a requirement or
    constraint line, unless ``--no-require-hashes`` (given or set in a file) turns the
    implication off. Both set at once is a usage error, as in pip."""
    required = (
        require_hashes
        or (inputs.pip is not None and inputs.pip.require_hashes)
        or any(o.require_hashes is not None for o in inputs.file_options)
    )
    not_implied = no_require_hashes or any(
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
    :mod:`tagpip.config.releases`)."""
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


def _relative_to(link: str, source: str) -> str:
    """A find-links path in a file is relative to that file, as in pip."""
    if "://" in link or os.path.isabs(link) or source.startswith("<"):
        return link
    candidate = os.path.join(os.path.dirname(source), link)
    return candidate if os.path.exists(candidate) else link
