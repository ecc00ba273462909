"""Targets made from a run's sources together: pip's flags, a named target (a preset, an
interpreter, a target file) and the requirement files' option lines, combined with the tag
blocks of the requirements into one :class:`~tagpip.target.value.Target`
(:func:`target_from_sources`), and a target narrowed to one requirement's tag block
(:func:`target_for_block`).

Which source wins for each part (implementation, version, ABIs, platforms, marker values), and
the errors when two disagree, are decided here. Reading a real system is
:mod:`tagpip.target.facts`' job; this module asks it for the host only when no source says
anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tagpip.errors import Diagnostic, Span, ValidationError
from tagpip.tags import (
    ALSO_RUNS,
    ImpossiblePlatform,
    PlatformSpec,
    TagSpec,
    classify,
    expand_platforms,
    family_archs,
    implementation_of,
    parse_abi,
    parse_implementation_code,
    parse_platform,
    parse_python_version,
    python_version_of,
)
from tagpip.target.facts import host_target
from tagpip.target.markers import PLATFORM_MARKERS, version_markers
from tagpip.target.value import (
    LEVELLED_FAMILIES,
    Sourced,
    Target,
    TargetError,
    TargetOptions,
    parse_word,
    specific_abi,
)

__all__ = [
    "block_layer",
    "platform_tag",
    "resolve_layers",
    "target_for_block",
    "target_from_flags",
    "target_from_sources",
    "target_from_spec",
]

# --- combining sources --------------------------------------------------------------------------


@dataclass(frozen=True)
class _BlockLayer:
    """What the tag blocks together say about the target."""

    python: tuple[str, tuple[int, ...]] | None = None
    platform: PlatformSpec | None = None
    # The blocks' version-specific ABIs (cp313t, cp38d), in order: what --abi would say.
    abis: tuple[str, ...] = ()


def _block_python(spec: TagSpec) -> tuple[str, tuple[int, ...]] | None:
    """The interpreter a block names: its python tag, or else its version-specific ABI
    (``[cp313t,manylinux_2_28,x86_64]`` is a CPython 3.13)."""
    named = spec.interpreter or next((a for a in spec.abis if specific_abi(a)), None)
    if not named:
        return None
    impl = implementation_of(named)
    version = python_version_of(named)
    # py3 names no minor version (nothing to build a target from); py312 names Python 3.12 of
    # no particular implementation, as --implementation py --python-version 3.12 does.
    if version is None or len(version) < 2:
        return None
    return impl, version


def _os_class(os: str) -> str:
    """The operating system a family runs on: manylinux and plain linux tags are one, and so are
    PEP 783's pyemscripten and the emscripten tag of its Emscripten release."""
    if os in ("manylinux", "linux"):
        return "linux"
    return "emscripten" if os == "pyemscripten" else os


def _where(span: Span | None) -> str:
    return f"{span.source}:{span.line}:{span.column}" if span else "another block"


def block_layer(blocks: Sequence[TagSpec]) -> _BlockLayer:
    python: tuple[str, tuple[int, ...]] | None = None
    python_span: Span | None = None
    platform: PlatformSpec | None = None
    os_span: Span | None = None
    arch: str | None = None
    arch_span: Span | None = None
    for spec in blocks:
        own = _block_python(spec)
        if own is not None:
            if python is not None and own != python:
                raise TargetError(
                    f"this block is for {_python_text(own)} but the block at "
                    f"{_where(python_span)} is for {_python_text(python)}",
                    hint="one run serves one interpreter; split the requirements",
                    span=spec.span,
                )
            if python is None:
                python, python_span = own, spec.span
        plat = spec.platform
        if plat is None or plat.os == "any":
            continue
        if platform is not None and _os_class(plat.os) != _os_class(platform.os):
            raise TargetError(
                f"this block is for {plat.family()} but the block at {_where(os_span)} "
                f"is for {platform.family()}",
                hint="one run serves one operating system; split the requirements",
                span=spec.span,
            )
        if plat.arch is not None:
            if arch is not None and plat.arch != arch:
                raise TargetError(
                    f"this block is for {plat.arch} but the block at {_where(arch_span)} "
                    f"is for {arch}",
                    hint="one run serves one architecture; split the requirements",
                    span=spec.span,
                )
            arch, arch_span = plat.arch, spec.span
        if platform is None:
            platform, os_span = plat, spec.span
        elif plat.os == platform.os and (plat.level or (0, 0)) > (platform.level or (0, 0)):
            platform = plat  # the target runs the highest level; each line keeps its own
        elif (platform.os, plat.os) in (("linux", "manylinux"), ("emscripten", "pyemscripten")):
            platform = plat  # the named standard's platform implies the plain one
    if platform is not None and arch is not None:
        platform = replace(platform, arch=arch)
    return _BlockLayer(python, platform, _block_abis(blocks))


def _block_abis(blocks: Sequence[TagSpec]) -> tuple[str, ...]:
    """The ABIs the blocks name for one interpreter build, as ``--abi`` would give them.

    ``abi3``, ``abi3t`` and ``none`` only narrow their own line. A free-threaded ABI and a GIL
    one cannot both be the target's (one interpreter is one build): that is an error citing both.
    """
    found: dict[str, Span | None] = {}
    for spec in blocks:
        for abi in spec.abis:
            if specific_abi(abi):
                found.setdefault(abi.lower(), spec.span)
    threaded = [a for a in found if _threaded(a)]
    gil = [a for a in found if not _threaded(a) and a.startswith("cp")]
    if threaded and gil:
        later, earlier = sorted((threaded[0], gil[0]), key=list(found).index, reverse=True)
        raise TargetError(
            f"this block asks for the ABI {later} but the block at {_where(found[earlier])} "
            f"asks for {earlier}: one is a free-threaded build, the other is not",
            hint="one run serves one interpreter build; split the requirements",
            span=found[later],
        )
    return tuple(found)


def _threaded(abi: str) -> bool:
    """Whether a CPython ABI is a free-threaded build's (``cp313t``, ``cp313td``)."""
    match = re.fullmatch(r"cp\d+([a-z]*)", abi)
    return bool(match and "t" in match[1])


def _python_text(python: tuple[str, tuple[int, ...]]) -> str:
    return f"{python[0]}{python[1][0]}{python[1][1]}"


def platform_tag(platform: PlatformSpec, span: Span | None) -> str:
    if platform.os != "any" and platform.arch is None:
        archs = family_archs(platform)
        if len(archs) == 1:  # wasm32 is the one architecture of the Emscripten platforms
            return replace(platform, arch=archs[0]).tag()
        example = archs[0] if archs else "x86_64"
        raise TargetError(
            f"the platform {platform.family()} needs an architecture",
            hint=f"add one to a tag block (e.g. [{platform.family()},{example}]) or give "
            "--platform",
            span=span,
        )
    if platform.os in LEVELLED_FAMILIES and platform.level is None:
        raise TargetError(f"the platform {platform.os} needs a level", span=span)
    return platform.tag()


def resolve_layers(
    layers: Sequence[TargetOptions],
    blocks: Sequence[TagSpec],
    host: Target | Callable[[], Target] | None,
) -> Target:
    """Each field from the first layer that gives it, then the blocks, then the host."""

    def first(attr: str) -> Any:
        for layer in layers:
            value = getattr(layer, attr)
            if value:
                return value
        return None

    platforms: tuple[Sourced, ...] | None = first("platforms")
    version_opt: Sourced | None = first("python_version")
    impl_opt: Sourced | None = first("implementation")
    abi_opts: tuple[Sourced, ...] | None = first("abis")
    _check_layers_agree(layers[1:])
    # The blocks fill only what the options leave open; when nothing is left open each block is
    # checked against the target instead, so that every bad block is reported, not the first.
    needs_blocks = not (platforms and version_opt)
    from_blocks = block_layer(blocks) if needs_blocks else _BlockLayer()

    implementation = (
        parse_word(parse_implementation_code, impl_opt.value, span=impl_opt.span)
        if impl_opt
        else None
    )
    version = (
        parse_word(parse_python_version, version_opt.value, span=version_opt.span)
        if version_opt
        else None
    )
    if from_blocks.python is not None:
        if implementation is None:
            implementation = from_blocks.python[0]
        if version is None:
            version = from_blocks.python[1]
    platform_tags: list[str] | None = None
    notes: list[str] = []
    if platforms:
        platform_tags = []
        for option in platforms:
            try:
                parse_platform(option.value, span=option.span)  # a typo is an error, with a hint
            except ImpossiblePlatform as error:
                # pip takes such --platform lists (scripts generate them) and matches no wheel
                # for the impossible entry; file option lines stay strict, as `check` reads them.
                if option.span is not None:
                    raise
                notes.append(
                    f"skipping --platform {option.value.strip()}: {error.message}; "
                    "no wheel can have that tag"
                )
                continue
            platform_tags.append(option.value.strip().lower())
        if not platform_tags:
            raise TargetError(
                "no --platform value names a platform that exists",
                hint="; ".join(notes),
            )
    elif from_blocks.platform is not None:
        first_block = next((b.span for b in blocks if b.platform is not None), None)
        platform_tags = [platform_tag(from_blocks.platform, first_block)]

    nothing_given = (
        platform_tags is None and version is None and implementation is None and not abi_opts
    )
    if nothing_given:
        if host is None:
            raise TargetError("no target given", hint="give --platform and --python-version")
        return host if isinstance(host, Target) else host()
    if version is None:
        raise TargetError(
            "the target has no Python version",
            hint="give --python-version (e.g. --python-version 3.12) or a python tag such as "
            "cp312 in a tag block; tagpip does not take the host's for another machine",
            span=(platforms[0].span if platforms else None),
        )
    implementation = implementation or "cp"
    # The ABI vocabulary of tag blocks and `check` (tokens.parse_abi), so neither accepts more.
    # Without --abi, the blocks' own build ABIs (cp313t, cp38d) are the target's, as --abi
    # would make them; a block naming none leaves them derived from the version.
    abis = [parse_abi(a.value, span=a.span) for a in abi_opts] if abi_opts else None
    same_python = from_blocks.python == (implementation or "cp", version)
    if abis is None and from_blocks.abis and same_python:
        abis = list(from_blocks.abis)
    if platform_tags is None:
        if host is None:
            raise TargetError("the target has no platform", hint="give --platform")
        host_target = host if isinstance(host, Target) else host()
        platform_tags = list(host_target.platforms)
        host_markers = host_target.marker_environment
        markers = {k: v for k, v in host_markers.items() if k in PLATFORM_MARKERS}
        markers.update(version_markers(implementation, version))
        target = Target.of(implementation, version, abis, platform_tags, markers=markers)
    else:
        target = Target.of(implementation, version, abis, platform_tags)
    if implementation == "graalpy" and not abis:
        notes.append(
            "a GraalPy target without --abi takes only wheels with the ABI 'none': GraalPy's "
            "own ABI names its release (e.g. --abi graalpy242_311_native), which the Python "
            "version does not tell"
        )
    return replace(target, notes=tuple(notes)) if notes else target


def _check_layers_agree(file_layers: Sequence[TargetOptions]) -> None:
    """Option lines of different files must not contradict each other."""
    seen: dict[str, Sourced] = {}
    for layer in file_layers:
        for attr in ("python_version", "implementation"):
            value: Sourced | None = getattr(layer, attr)
            if value is None:
                continue
            earlier = seen.get(attr)
            if earlier is not None and earlier.value.strip() != value.value.strip():
                option = "--" + attr.replace("_", "-")
                raise TargetError(
                    f"{option} {value.value} contradicts {option} {earlier.value} at "
                    f"{_where(earlier.span)}",
                    span=value.span,
                )
            seen.setdefault(attr, value)


# --- narrowing a target to one block -------------------------------------------------------------


def _target_os_arch(target: Target) -> tuple[set[str], set[str]]:
    classes: set[str] = set()
    archs: set[str] = set()
    for tag in target.platforms:
        info = classify(tag)
        if info.family in ("any", "other"):
            continue
        classes.add(_os_class(info.family))
        if info.arch:
            archs.add(info.arch)
    return classes, archs


def target_for_block(target: Target, spec: TagSpec) -> Target:
    """The narrower target a requirement's own tag block describes, filled from ``target``.

    Its tags are a subset of the target's. Raises TargetError when the block cannot run on the
    target (manylinux2014 on a manylinux1 target, cp37 on a cp36 target).
    """
    span = spec.span
    # The interpreter: same implementation and version; a py tag keeps only generic wheels.
    keep_interpreter: Callable[[str], bool] = lambda interpreter: True  # noqa: E731
    if spec.interpreter:
        token = spec.interpreter.lower()
        impl = implementation_of(token)
        version = python_version_of(token) or ()
        wanted = ".".join(map(str, version))
        have = ".".join(map(str, target.python_version[: len(version)]))
        if impl == "py":
            if wanted != have:
                raise TargetError(
                    f"this block asks for {token} but the target is {target.describe()}",
                    span=span,
                )
            keep_interpreter = lambda interpreter: interpreter.startswith("py")  # noqa: E731
        elif impl != target.implementation or wanted != have:
            raise TargetError(
                f"this block asks for {token} but the target is {target.describe()}",
                hint="a run serves one interpreter; drop the python tag or change the target",
                span=span,
            )
    # ABIs: the block's own, plus 'none' (pure-Python and py3-none-platform wheels still run).
    keep_abis: set[str] | None = None
    if spec.abis:
        target_abis = {t.abi for t in target.tags}
        for abi in spec.abis:
            if abi.lower() not in target_abis:
                raise TargetError(
                    f"the ABI {abi} of this block does not run on {target.describe()}",
                    hint=f"the target's ABIs are {', '.join(target.abis) or 'none'}",
                    span=span,
                )
        keep_abis = {a.lower() for a in spec.abis} | {"none"}
        if any(specific_abi(a) for a in spec.abis):
            # A build ABI (cp313t, cp36m, cp38d) names the interpreter, which also takes its
            # stable ABI: abi3, or abi3t for a free-threaded build, as packaging's cpython_tags
            # gives the target (only the one the target has is kept).
            keep_abis |= {"abi3", "abi3t"} & target_abis
    # The platform: the block's own, filled from the target, must be one the target runs.
    keep_platforms: set[str] | None = None
    if spec.platform is not None:
        keep_platforms = _block_platforms(target, spec.platform, span) | {"any"}
    tags = tuple(
        t
        for t in target.tags
        if keep_interpreter(t.interpreter)
        and (keep_abis is None or t.abi in keep_abis)
        and (keep_platforms is None or t.platform in keep_platforms)
    )
    if not tags:
        raise TargetError(f"this block leaves no tag {target.describe()} runs", span=span)
    platforms = tuple(p for p in target.platforms if keep_platforms is None or p in keep_platforms)
    abis = tuple(a for a in target.abis if keep_abis is None or a in keep_abis)
    return replace(target, abis=abis, platforms=platforms, tags=tags)


def _block_platforms(target: Target, platform: PlatformSpec, span: Span | None) -> set[str]:
    if platform.os == "any":
        return {"any"}
    classes, archs = _target_os_arch(target)
    what = target.describe()
    if _os_class(platform.os) not in classes:
        raise TargetError(
            f"this block is for {platform.family()} but the target is {what}", span=span
        )
    arch = platform.arch
    if arch is None:
        own = sorted(
            a
            for p in target.platforms
            if _os_class(classify(p).family) == _os_class(platform.os)
            for a in [classify(p).arch]
            if a
        )
        also = {a for one in own for a in ALSO_RUNS.get(one, ())}
        own = [a for a in own if a not in also]
        if len(set(own)) != 1:
            raise TargetError(
                f"this block needs an architecture: the target runs {', '.join(sorted(archs))}",
                span=span,
            )
        arch = own[0]
    level = platform.level
    if level is None and platform.os in LEVELLED_FAMILIES:
        levels = [
            info.level
            for info in map(classify, target.platforms)
            if info.family == platform.os and info.level
        ]
        if not levels:
            raise TargetError(
                f"this block is for {platform.os} but the target is {what}", span=span
            )
        level = max(levels)
    tag = platform_tag(replace(platform, level=level, arch=arch), span)
    expanded = expand_platforms([tag])
    if expanded[0] not in target.platforms:
        raise TargetError(
            f"this block is for {tag} but the target is {what}",
            hint="the target must run the block's platform level; raise the target's level "
            "(--platform) or lower the block's",
            span=span,
        )
    return set(expanded)


# --- a run's one target ----------------------------------------------------------------------


def target_from_flags(
    platforms: Sequence[str],
    python_version: str | None,
    implementation: str | None,
    abis: Sequence[str],
) -> Target:
    """The target pip's ``--platform``/``--python-version``/``--implementation``/``--abi``
    describe. ``--python-version`` and at least one ``--platform`` are required: tagpip does
    not borrow the host's for a foreign target (:func:`target_from_sources` does, last)."""
    options = TargetOptions.from_strings(platforms, python_version, implementation, abis)
    if not options.platforms:
        raise TargetError("the target has no platform", hint="give --platform")
    return resolve_layers([options], [], host=None)


def target_from_spec(spec: TagSpec) -> Target:
    """The target a tag block alone describes (``[manylinux1,cp36,x86_64]``): it must name a
    python tag with a version and a platform with an architecture."""
    layer = block_layer([spec])
    if layer.python is None or layer.platform is None:
        missing = "a python tag such as cp312" if layer.python is None else "a platform"
        raise TargetError(f"the tag block does not name {missing}", span=spec.span)
    impl, version = layer.python
    abis = list(layer.abis) or spec.abis or None
    return Target.of(impl, version, abis, [platform_tag(layer.platform, spec.span)])


def target_from_sources(
    *,
    command_line: TargetOptions | None = None,
    base: Target | None = None,
    file_options: Sequence[TargetOptions] = (),
    blocks: Sequence[TagSpec] = (),
    host: Target | Callable[[], Target] | None = None,
) -> Target:
    """The one target of a run, from its sources, first to last (docs/targets.md): the command
    line (``base`` is a preset, ``--from-python`` or ``--target-file`` target; ``command_line``
    pip's four flags, which may not be combined with a base), the requirement files' option
    lines (``file_options``, one per file, which must agree), the tag blocks (which must agree
    on interpreter, OS and architecture; the highest platform level wins), and the host
    (``host``, default :func:`~tagpip.target.facts.host_target`, read only when nothing else
    says anything).

    Each of platform, Python version, implementation and ABIs comes from the first source that
    gives it. A Python version with no platform anywhere takes the host's platforms; a
    platform with no Python version is an error (tagpip does not guess the interpreter).
    Every block is then checked with :func:`target_for_block`; all failing blocks are reported.
    """
    command_line = command_line or TargetOptions()
    if base is not None and not command_line.is_empty():
        if base.source.startswith("the preset "):
            # The CLI hands a preset its --python-version; what is left is another platform,
            # implementation or ABI, which would make it another place.
            raise TargetError(
                f"{base.source} cannot be combined with --platform, --implementation or --abi",
                hint="a preset takes --python-version only (another Python of its place); "
                "for another platform, give --platform and --python-version without it",
            )
        raise TargetError(
            f"{base.source or 'a named target'} cannot be combined with --platform, "
            "--python-version, --implementation or --abi",
            hint="use one or the other",
        )
    if base is not None:
        target = base
    else:
        layers = [command_line, *file_options]
        target = resolve_layers(layers, blocks, host=host or host_target)
    problems: list[TargetError] = []
    for spec in blocks:
        try:
            target_for_block(target, spec)
        except TargetError as error:
            problems.append(error)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError([Diagnostic("error", p.message, p.span, p.hint) for p in problems])
    return target
