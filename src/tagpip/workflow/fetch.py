"""The library layer of the fetching commands: resolve read inputs for a target, turn the pins
into the wheels to deliver, and fetch and install them, as functions of values that return
results.

``download``, ``install``, ``bundle``, ``lock`` and ``why`` are each a few calls of this module (and
:mod:`tagpip.workflow.inputs` before it); what stays in :mod:`tagpip.cli` is turning options into
:class:`RunSettings`, progress on the terminal, and printing the results. So a program can do what a
command does without argparse, and a new resolver option is added in one place. Nothing here prints:
texts for the user go to the ``on_build``/``on_warning`` callbacks or come back in the results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName

from tagpip.build import DEFAULT_BUILD_TIMEOUT
from tagpip.cache import UNPACKED
from tagpip.errors import TagpipError
from tagpip.hashes import only_weak
from tagpip.resolution import DEFAULT_POLICY, Policy

if TYPE_CHECKING:
    from packaging.version import Version

    from tagpip.build import SourceBuilder
    from tagpip.config import IndexOptions
    from tagpip.download import ProgressEvent
    from tagpip.index import DistFile, Index
    from tagpip.install import InstallResult, LinkMode
    from tagpip.provenance import Licence
    from tagpip.requirements import TaggedRequirement
    from tagpip.resolution import Pin, Resolution
    from tagpip.target import Target
    from tagpip.workflow.inputs import Inputs

__all__ = [
    "Delivery",
    "Resolved",
    "RunSettings",
    "build_pins",
    "check_required_hashes",
    "declared_licences",
    "deliverable",
    "delivery_sbom",
    "fetch_and_install",
    "graph_from_metadata",
    "make_builder",
    "resolve_for",
    "union_by_file",
    "without_built",
]


@dataclass(frozen=True)
class RunSettings:
    """What a run's options say to resolving and building, once they are settled (the CLI
    makes one from its flags and the inputs; a program makes one directly)."""

    # Which releases and files may be chosen: pre-releases (the CLI takes --pre and pip's
    # configured ``pre`` from the settled index options), Requires-Python, the cut-offs.
    policy: Policy = DEFAULT_POLICY
    no_deps: bool = False
    only_deps: bool = False
    # Seconds the resolver may take (None: no limit).
    timeout: float | None = None
    # Hash-checking mode, by pip's rule (:func:`tagpip.workflow.inputs.wants_hashes`).
    require_hashes: bool = False
    # Nothing may be built / these projects may not (:func:`tagpip.workflow.inputs.build_rules`).
    no_build: bool = False
    no_build_packages: frozenset[str] = frozenset()
    # ``-C`` values per project (:func:`tagpip.workflow.inputs.config_settings`).
    config_settings: Mapping[NormalizedName, Sequence[str]] = field(default_factory=dict)
    # The interpreter builds prefer (``--from-python``), if any.
    preferred_python: str | None = None
    # Projects (or ":all:") whose newest version wins even when it ships only an sdist
    # (``--prefer-source``); every other project takes wheels first.
    prefer_source: frozenset[str] = frozenset()
    # Seconds one build may take (``--build-timeout``; None: no limit).
    build_timeout: float | None = DEFAULT_BUILD_TIMEOUT
    # The statuses that fail the run (PEP 792; ``--fail-on-status``).
    fail_on_status: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Resolved:
    """One target's resolution, the builder that built its sources (None when nothing may be
    built), and the warnings it leaves (settings that did nothing)."""

    resolution: Resolution
    builder: SourceBuilder | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """What a resolution delivers: the pins as wheels (sources built, ``--only-deps``
    applied) and the user's hashes the downloads must match."""

    pins: tuple[Pin, ...]
    user_hashes: dict[NormalizedName, list[str]]


def make_builder(
    inputs: Inputs,
    index: Index,
    target: Target,
    options: IndexOptions,
    settings: RunSettings,
    *,
    on_build: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> SourceBuilder | None:
    """The run's :class:`tagpip.build.SourceBuilder` (``on_build`` hears one line per build
    and per version passed over, ``on_warning`` the metadata-honesty warnings, ``on_status``
    a running build's progress), or None when nothing may be built. The sources it builds are
    checked against ``user_hashes`` (default: the inputs' ``--hash`` values; a lock's hashes
    when building what a lock names)."""
    from tagpip.build import SourceBuilder

    if settings.no_build:
        return None
    return SourceBuilder(
        index,
        target,
        options,
        no_build_packages=settings.no_build_packages,
        user_hashes=inputs.user_hashes if user_hashes is None else user_hashes,
        require_hashes=settings.require_hashes,
        config_settings=settings.config_settings,
        preferred_python=settings.preferred_python,
        build_timeout=settings.build_timeout,
        on_build=on_build,
        on_warning=on_warning,
        on_status=on_status,
    )


def resolve_for(
    inputs: Inputs,
    index: Index,
    target: Target,
    options: IndexOptions,
    settings: RunSettings,
    *,
    on_progress: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    kept: Mapping[NormalizedName, tuple[Version, str]] | None = None,
    constraints: Sequence[TaggedRequirement] = (),
) -> Resolved:
    """Resolve the inputs for ``target`` under the run's settings: the one call ``download``,
    ``install``, ``bundle``, ``lock`` and ``why`` share, so a new resolver option reaches them
    all. ``kept`` (``lock``'s pins from an existing lock) goes through
    :func:`tagpip.lock.keep.resolve_keeping`; ``constraints`` are added to the inputs' own.
    The warnings say which pins their index marks archived or deprecated (PEP 792:
    :mod:`tagpip.resolution.statuses`); a status ``settings.fail_on_status`` names raises
    :class:`tagpip.resolution.statuses.StatusRefused`."""
    from tagpip.lock import resolve_keeping
    from tagpip.resolution import resolve

    builder = make_builder(
        inputs,
        index,
        target,
        options,
        settings,
        on_build=on_build,
        on_warning=on_warning,
        on_status=on_progress,
    )
    from tagpip.resolution import check_statuses, status_warnings

    run = resolve if kept is None else functools.partial(resolve_keeping, kept=kept)
    resolution = run(
        inputs.requirements,
        target,
        index,
        constraints=[*inputs.constraints, *constraints],
        policy=settings.policy,
        no_deps=settings.no_deps,
        on_progress=on_progress,
        builder=builder,
        timeout=settings.timeout,
        prefer_source=settings.prefer_source,
        user_hashes=inputs.user_hashes,
    )
    check_statuses(resolution.pins, settings.fail_on_status)
    warnings = (
        *resolution.notes,
        *status_warnings(resolution.pins),
        *_unused_settings(inputs, resolution.pins, builder),
        *_weak_digests(resolution.pins, inputs.user_hashes),
    )
    return Resolved(resolution, builder, warnings)


def deliverable(resolved: Resolved, inputs: Inputs, settings: RunSettings) -> Delivery:
    """The wheels a resolution delivers to ``download``, ``install`` and ``bundle``:
    ``--only-deps`` leaves out the roots, hash-checking mode is enforced, and each sdist is
    replaced by its built, checked wheel (nothing of a refused build reaches the destination:
    the builder raises before any file is written there). The user's hashes of a built project
    are dropped: they named the sdist, which the builder checked before building."""
    pins = list(resolved.resolution.pins)
    if settings.only_deps:
        roots = set(resolved.resolution.roots)
        pins = [pin for pin in pins if pin.name not in roots]
    if settings.require_hashes:
        check_required_hashes(pins, inputs.user_hashes)
    built = build_pins(pins, resolved.builder)
    return Delivery(tuple(built), without_built(built, inputs.user_hashes))


def build_pins(pins: Sequence[Pin], builder: SourceBuilder | None) -> list[Pin]:
    """The pins with each sdist replaced by its built, checked wheel."""
    out = []
    for pin in pins:
        if not pin.file.is_wheel and builder is not None:
            built = builder.wheel(pin.file)
            pin = dataclasses.replace(pin, file=built.file)
        out.append(pin)
    return out


def union_by_file(pin_lists: Iterable[Sequence[Pin]]) -> dict[str, list[Pin]]:
    """Several targets' pins by file name, each file once, with the pins (one per target)
    that chose it, in the order the targets came: what a multi-target download fetches."""
    chosen: dict[str, list[Pin]] = {}
    for pins in pin_lists:
        for pin in pins:
            chosen.setdefault(pin.file.filename, []).append(pin)
    return chosen


def check_required_hashes(
    pins: Sequence[Pin], user_hashes: Mapping[NormalizedName, Sequence[str]]
) -> None:
    """In hash-checking mode every pinned project needs a ``--hash``; list those that lack one
    with the hash their file has on the index, as pip does, so the user can paste them."""
    missing = [pin for pin in pins if not user_hashes.get(pin.name)]
    if not missing:
        return
    lines = []
    for pin in missing:
        sha256 = dict(pin.file.hashes).get("sha256")
        digest = f" --hash=sha256:{sha256}" if sha256 else ""
        lines.append(f"    {pin.name}=={pin.version}{digest}")
    raise TagpipError(
        "hashes are required (--require-hashes, or a --hash on some line), but these have none:\n"
        + "\n".join(lines),
        hint="add the lines above to your requirements (the hashes are the index's), "
        "or pass --no-require-hashes",
    )


def without_built(
    pins: Sequence[Pin], user_hashes: Mapping[NormalizedName, list[str]]
) -> dict[NormalizedName, list[str]]:
    """The user's hashes without those of the built projects among ``pins``: they named the
    sdist, which the builder checked before building; the built wheel is tagpip's own file (a
    ``file:`` URL with the hash the builder gave it)."""
    built = {pin.name for pin in pins if pin.file.url.startswith("file:") and pin.file.hashes}
    return {name: values for name, values in user_hashes.items() if name not in built}


def _unused_settings(
    inputs: Inputs, pins: Sequence[Pin], builder: SourceBuilder | None
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


def _weak_digests(
    pins: Sequence[Pin], user_hashes: Mapping[NormalizedName, Sequence[str]]
) -> list[str]:
    """One warning text per pinned file whose only check is a weak digest its link gives (md5,
    sha1, sha224: :func:`tagpip.hashes.only_weak`): it is checked, but a forger can meet it."""
    texts = []
    for pin in pins:
        weak = only_weak(pin.file.hashes, user_hashes.get(pin.name, ()))
        if weak:
            texts.append(
                f"{pin.file.filename} is checked only by the {' and '.join(weak)} digest its "
                "link gives, a weak algorithm (pin it with --hash=sha256:... to check it "
                "properly)"
            )
    return texts


def fetch_and_install(
    pins: Sequence[Pin],
    index: Index,
    target: Target,
    temp: Path,
    user_hashes: Mapping[NormalizedName, Sequence[str]],
    *,
    folder: Path,
    upgrade: bool = False,
    link_mode: LinkMode = "clone",
    fetched: bool = False,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    made_by: str = "tagpip install",
) -> InstallResult:
    """Fetch the pinned wheels into ``temp``, then install them into ``folder`` with tagpip's
    installer: the one seam ``install`` and ``bundle`` share, so a bundle gets exactly
    install's checks (hashes verified, all or nothing, no host bytecode). ``temp`` must be a
    private folder of the caller's that it removes afterwards: downloads there are scratch
    files (:func:`tagpip.download.download`'s ``scratch``), hard-linked into the wheel cache.
    With ``fetched``, the files are already in ``temp`` (pip's downloads, for ``--backend
    pip``). Then the folder's record of its target is written (:mod:`tagpip.target.record`,
    by ``made_by``), which ``tagpip verify`` reads.

    The cache of unpacked wheels is ``unpacked`` next to the wheel cache (none with
    ``--no-cache-dir``); each wheel's sha256 is the downloader's, computed from the bytes it
    verified, or, for files already fetched, computed here. With tagpip's downloader and that
    cache, a wheel whose sha256 is known before fetching (:func:`_fetch_later`) is fetched only
    if the installer asks for it.
    """
    from tagpip.download import download
    from tagpip.hashes import file_sha256
    from tagpip.install import install

    wheel_cache = index.wheel_cache
    cache = wheel_cache.parent / UNPACKED if wheel_cache is not None else None
    fetch: Callable[[Sequence[Path]], None] | None = None
    paths = [temp / pin.file.filename for pin in pins]
    digests: dict[Path, str] = {}
    if fetched:
        for path in paths if cache is not None else ():
            with contextlib.suppress(OSError):  # a missing file is install()'s to report
                digests[path] = file_sha256(path)
    else:
        later = _fetch_later(pins, temp, user_hashes) if cache is not None else {}
        now = [pin.file for pin in pins if temp / pin.file.filename not in later]
        results = download(
            now, temp, index, user_hashes=user_hashes, on_progress=on_progress, scratch=True
        )
        digests = {result.path: result.sha256 for result in results}
        digests.update((path, digest) for path, (_, digest) in later.items())
        if later:
            fetch = _on_demand(later, temp, index, user_hashes, on_progress)
    result = install(
        paths,
        folder,
        target,
        upgrade=upgrade,
        on_progress=on_status,
        cache=cache,
        digests=digests,
        link_mode=link_mode,
        fetch=fetch,
    )
    return _record_target(result, folder, target, made_by)


def _record_target(
    result: InstallResult, folder: Path, target: Target, made_by: str
) -> InstallResult:
    """Write the folder's target record; a record that named another target before, or one
    that cannot be written (the install itself stands), is said in a warning."""
    from tagpip.target import write_record

    try:
        before = write_record(folder, target, made_by)
    except OSError as error:
        note = f"could not write the target record into {folder}: {error}"
        return dataclasses.replace(result, warnings=(*result.warnings, note))
    if before is None:
        return result
    note = (
        f"{folder} held projects installed for {before.target.describe()}; its target record "
        f"now names {target.describe()}, the target of this run"
    )
    return dataclasses.replace(result, warnings=(*result.warnings, note))


def _fetch_later(
    pins: Sequence[Pin], temp: Path, user_hashes: Mapping[NormalizedName, Sequence[str]]
) -> dict[Path, tuple[DistFile, str]]:
    """The wheels that need not be downloaded before installing (by where they would land in
    ``temp``), each with the sha256 a download of it must have: known from the index page or
    the lock, and the only bytes the downloader would accept (:func:`known_sha256`). The
    installer stages such a wheel from its entry in the cache of unpacked wheels, found by
    that sha256 and checked as always, and asks for the file only when there is none."""
    from tagpip.download import known_sha256

    later: dict[Path, tuple[DistFile, str]] = {}
    for pin in pins:
        digest = known_sha256(pin.file, user_hashes.get(pin.file.project, ()))
        if digest is not None:
            later[temp / pin.file.filename] = (pin.file, digest)
    return later


def _on_demand(
    later: Mapping[Path, tuple[DistFile, str]],
    temp: Path,
    index: Index,
    user_hashes: Mapping[NormalizedName, Sequence[str]],
    on_progress: Callable[[ProgressEvent], None] | None,
) -> Callable[[Sequence[Path]], None]:
    """install()'s ``fetch`` for the wheels :func:`_fetch_later` held back: downloads those it
    asks for, with every check a download makes, and counts the others as done (as a wheel
    taken from the wheel cache is) the first time, so progress ends at all files."""
    from tagpip.download import ProgressEvent, download

    counted: set[Path] = set()

    def fetch(needed: Sequence[Path]) -> None:
        wanted = set(needed)
        for path, (file, _) in later.items():
            if path not in wanted and path not in counted and on_progress is not None:
                size = file.size or 0
                on_progress(ProgressEvent("done", file.filename, file.size, size, reused=True))
        counted.update(later)
        # Only held-back wheels can be absent; anything else missing is install()'s to report.
        files = [later[path][0] for path in needed if path in later]
        download(files, temp, index, user_hashes=user_hashes, on_progress=on_progress, scratch=True)

    return fetch


# -- what a delivery is made of: licences and the SBOM -------------------------------------------


def declared_licences(pins: Sequence[Pin], index: Index) -> list[tuple[str, Licence]]:
    """Each pin's declared licence (:func:`tagpip.provenance.licences.licence_of`), read from the
    metadata the resolver used (the index's PEP 658 file, else the wheel's own; a built wheel's
    own), so that ``--deny-license`` can stop a run before anything is written."""
    from tagpip.provenance import licence_of

    found = []
    for pin in pins:
        metadata = index.metadata(pin.file)
        licence = licence_of(
            metadata.license_expression, metadata.license, metadata.classifiers or ()
        )
        found.append((str(pin.name), licence))
    return found


def graph_from_metadata(
    pins: Sequence[Pin], index: Index
) -> tuple[dict[NormalizedName, tuple[NormalizedName, ...]], tuple[NormalizedName, ...]]:
    """The dependency graph among ``pins`` and its roots, read from their metadata, for a
    delivery that was not resolved in this run (a lock): each Requires-Dist that holds for the
    pin's target, with the extras its dependants ask of it (found by repeating until nothing
    changes), pointing at a pinned project. The roots are the pins nothing depends on."""
    from packaging.utils import canonicalize_name

    from tagpip.target import TargetError

    by_name = {pin.name: pin for pin in pins}
    wanted: dict[NormalizedName, set[str]] = {name: set() for name in by_name}
    edges: dict[NormalizedName, set[NormalizedName]] = {name: set() for name in by_name}
    changed = True
    while changed:
        changed = False
        for pin in pins:
            for requirement in index.metadata(pin.file).requires_dist or ():
                name = canonicalize_name(requirement.name)
                if name not in by_name or name == pin.name:
                    continue
                if requirement.marker is not None:
                    try:
                        if not pin.target.evaluate(requirement.marker, wanted[pin.name]):
                            continue
                    except TargetError:
                        continue
                extras = {canonicalize_name(e) for e in requirement.extras}
                if name not in edges[pin.name] or not extras <= wanted[name]:
                    edges[pin.name].add(name)
                    wanted[name] |= extras
                    changed = True
    depended = {child for children in edges.values() for child in children}
    graph = {name: tuple(sorted(children)) for name, children in sorted(edges.items())}
    return graph, tuple(sorted(name for name in by_name if name not in depended))


def delivery_sbom(
    pins: Sequence[Pin],
    index: Index,
    target: Target,
    *,
    subject: str,
    graph: Mapping[NormalizedName, Sequence[NormalizedName]],
    roots: Sequence[NormalizedName],
    licences: Mapping[str, Licence] | None = None,
    folder: Path | None = None,
    prefix: str = "",
    fetched: Path | None = None,
    sources: Mapping[NormalizedName, tuple[str, str | None]] | None = None,
    hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    epoch: int | None = None,
) -> dict[str, Any]:
    """The CycloneDX SBOM (:func:`tagpip.provenance.sbom.document`) of ``pins`` as delivered: the
    licences given (else read by :func:`declared_licences`), and, with ``folder`` (the installed
    tree, at ``prefix`` in the delivery), each project's name as installed and the SBOMs its wheel
    carries. A file's sha256 is the index's (or the lock's, ``hashes``), else that of its copy in
    ``fetched`` (the folder the run downloaded into); ``sources`` gives the sdist (URL and sha256)
    each built wheel came from."""
    from tagpip import provenance
    from tagpip.hashes import file_digests

    known = dict(licences) if licences is not None else dict(declared_licences(pins, index))
    installed = provenance.read_folder(folder, prefix) if folder is not None else {}
    sources = sources or {}
    components = []
    for pin in pins:
        file = pin.file
        digest = dict(file.hashes).get("sha256")
        for text in (hashes or {}).get(pin.name, ()):
            algo, _, value = text.partition(":")
            if digest is None and algo.lower() == "sha256":
                digest = value.lower()
        if digest is None and fetched is not None and (fetched / file.filename).is_file():
            digest = file_digests(fetched / file.filename)["sha256"]
        source = sources.get(pin.name)
        if source is not None and source[0] == file.url:
            source = None  # the delivered file is the sdist itself (a lock records it)
        components.append(
            provenance.component(
                pin.name,
                pin.version,
                file.filename,
                file.url,
                digest,
                installed=installed.get(pin.name),
                licence=known.get(str(pin.name)),
                status=pin.status,
                source=source,
            )
        )
    return provenance.document(components, graph, roots, target, subject=subject, epoch=epoch)
