"""From a lock to the exact files to fetch, without resolving again: which of a lock's files a
target installs (a tagged section, or PEP 751's marker rules for a pylock), each found on the
index by its hash or taken from the URL the lock records, and the hashes the download checks.

A locked sdist comes back as a non-wheel :class:`~tagpip.index.client.DistFile`: the caller builds
it (``tagpip.build.builder``), after the builder has checked its bytes against the locked hash.
tagpip's own selection serves targets whose marker environment is incomplete (a target made from tag
blocks defines no ``platform_release``, say): a marker needing such a value is an error that names
it.
"""

from __future__ import annotations

from dataclasses import replace

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    NormalizedName,
    parse_wheel_filename,
)

from tagpip.errors import Span, TagpipError
from tagpip.hashes import STRONG
from tagpip.index import DistFile, Index, files_of_version
from tagpip.lock.model import (
    Lock,
    LockedFile,
    LockedPackage,
    LockError,
    LockSection,
    holds,
    lock_span,
    narrowed,
)
from tagpip.tags import TokenError, parse_tag_block
from tagpip.target import Target, TargetError, target_from_sources, target_from_spec

__all__ = ["lock_hashes", "locked_sdist_target", "pins_from_lock", "target_of"]


def lock_hashes(lock: Lock) -> dict[NormalizedName, list[str]]:
    """Per project, the ``algo:hex`` hashes the lock allows (for download's ``user_hashes``)."""
    found: dict[NormalizedName, list[str]] = {}
    for package in lock.packages:
        for file in package.files:
            for algo, digest in file.hashes:
                if algo in STRONG:
                    values = found.setdefault(package.name, [])
                    if f"{algo}:{digest}" not in values:
                        values.append(f"{algo}:{digest}")
    return found


def pins_from_lock(lock: Lock, index: Index, target: Target | None = None) -> list[DistFile]:
    """The files a lock names, ready for :func:`tagpip.download.downloader.download` (check them
    with :func:`lock_hashes`), without resolving.

    Without ``target``, every file of every section. With one, only what that target installs:
    for a tagged lock, the first section whose files all run on it (preferring the section that
    describes exactly that target); for a pylock, PEP 751's rules (requires-python and
    ``environments`` must hold, packages whose marker is false are skipped, and of each package's
    wheels the one the target ranks best).
    """
    chosen = _select(lock, target)
    files: list[DistFile] = []
    seen: set[str] = set()
    for package, locked in chosen:
        file = _dist_file(package, locked, index, target)
        if file.url not in seen:
            seen.add(file.url)
            files.append(file)
    return files


def target_of(lock: Lock) -> Target:
    """The target a tagged lock of one section was made for, rebuilt from its lines' tag blocks
    (each names its pin's interpreter and platform; where they name different manylinux levels,
    the highest, as for any requirement file). Nothing is taken from the host.

    Raises LockError when the lock cannot say: a pylock.toml (its markers do not name platform
    tags), several sections, or lines without tag blocks; the message says which target options
    to give instead.
    """
    where = lock.path or "the lock"
    hint = (
        "give the target with --preset, --target-file, --from-python, or --platform and "
        "--python-version"
    )
    if lock.format == "pylock":
        raise LockError(
            f"{where} does not record its target's platform tags (a pylock.toml has markers only)",
            hint=hint,
        )
    if len(lock.sections) != 1:
        shown = "; ".join(s.target or "(no description)" for s in lock.sections)
        raise LockError(f"{where} locks several targets ({shown}): say which one", hint=hint)
    blocks = []
    for package in lock.sections[0].packages:
        if package.block is not None:
            span = Span(where, package.line, 0, len(package.block), package.block)
            try:
                blocks.append(parse_tag_block(package.block, span))
            except TokenError as error:
                raise LockError(f"{where}:{package.line}: {error.message}", span=span) from None

    def no_host() -> Target:
        raise LockError(f"the tag blocks of {where} do not describe a whole target", hint=hint)

    if not blocks:
        no_host()
    target = target_from_sources(blocks=blocks, host=no_host)
    return replace(target, source=where)


def _select(lock: Lock, target: Target | None) -> list[tuple[LockedPackage, LockedFile]]:
    if target is None:
        return [(p, f) for p in lock.packages for f in p.files]
    if lock.format == "pylock":
        return _select_pylock(lock, target)
    exact = [s for s in lock.sections if s.target == target.describe()]
    fitting = [s for s in lock.sections if _section_fits(s, target)]
    section = (exact + fitting)[:1]
    if not section:
        shown = "; ".join(s.target or "(no description)" for s in lock.sections)
        raise LockError(
            f"{lock.path} has no section for {target.describe()} (it locks: {shown})",
            hint="give the target the lock was made for, or lock for this target",
        )
    return [(p, f) for p in section[0].packages for f in p.files]


def _section_fits(section: LockSection, target: Target) -> bool:
    for package in section.packages:
        if package.block is None:
            continue
        if narrowed(target, package.block) is None:
            return False
    return True


def _select_pylock(lock: Lock, target: Target) -> list[tuple[LockedPackage, LockedFile]]:
    where = lock.path or "the lock"
    if lock.requires_python and not target.allows_requires_python(
        SpecifierSet(lock.requires_python)
    ):
        raise LockError(
            f"{where} requires Python {lock.requires_python}, the target is {target.describe()}"
        )
    if lock.environments and not any(holds(m, target) for m in lock.environments):
        raise LockError(
            f"{where} supports none of {target.describe()}'s environment: "
            + "; ".join(lock.environments)
        )
    chosen: list[tuple[LockedPackage, LockedFile]] = []
    names: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if package.marker is not None and not _marker_for(package, target, where):
            continue
        if package.requires_python and not target.allows_requires_python(
            SpecifierSet(package.requires_python)
        ):
            raise LockError(
                f"{where}: {package.name} {package.version} requires Python "
                f"{package.requires_python}, the target is {target.describe()}"
            )
        other = names.setdefault(package.name, package)
        if other is not package:
            raise LockError(
                f"{where}: {package.name} {other.version} and {package.version} both apply to "
                f"{target.describe()}"
            )
        ranked = []
        sdists = [file for file in package.files if file.is_sdist]
        for file in package.files:
            assert file.filename is not None
            if file.is_sdist:
                continue
            rank = target.wheel_rank(parse_wheel_filename(file.filename)[3])
            if rank is not None:
                ranked.append((rank, file.filename, file))
        if ranked:
            chosen.append((package, min(ranked, key=lambda r: (r[0], r[1]))[2]))
        elif sdists:
            chosen.append((package, sdists[0]))  # built for the target by the caller
        else:
            raise LockError(
                f"{where}: no wheel of {package.name} {package.version} runs on {target.describe()}"
            )
    return chosen


def _marker_for(package: LockedPackage, target: Target, where: str) -> bool:
    assert package.marker is not None
    try:
        return target.evaluate(Marker(package.marker))
    except TargetError as error:
        raise LockError(
            f"{where}: the marker of {package.name} ({package.marker}) needs a value the target "
            f"does not define: {error.message}",
            hint=error.hint,
        ) from None


def _dist_file(
    package: LockedPackage, locked: LockedFile, index: Index, target: Target | None
) -> DistFile:
    if locked.is_sdist:
        return _sdist_file(package, locked, index)
    if locked.url is not None:
        assert locked.filename is not None
        _, version, build, tags = parse_wheel_filename(locked.filename)
        return DistFile(
            project=package.name,
            filename=locked.filename,
            url=locked.url,
            version=version,
            build=build,
            tags=tags,
            is_wheel=True,
            size=locked.size,
            upload_time=locked.upload_time,
        )
    return _find_on_index(package, locked, index, target)


def _sdist_file(package: LockedPackage, locked: LockedFile, index: Index) -> DistFile:
    """A locked sdist: a pylock's from its URL; a tagged lock's from the index by its hash (or
    name), as its wheels are, else from the URL recorded under its line. The builder checks
    the bytes against the locked hash before building."""
    assert locked.filename is not None
    assert locked.url is not None
    if package.block is not None:  # a tagged lock: the index's options (mirrors) apply
        wanted = set(locked.hashes)
        try:
            found = files_of_version(index.files(package.name), package.version)
        except TagpipError:
            found = []
        sdists = [f for f in found if not f.is_wheel]
        for file in sdists:
            if wanted & {(a.lower(), d.lower()) for a, d in file.hashes}:
                return file
        for file in sdists:
            if file.filename == locked.filename:
                return file
    return DistFile.untagged(
        package.name,
        locked.filename,
        locked.url,
        package.version,
        hashes=locked.hashes,
        requires_python=package.requires_python,
        size=locked.size,
        upload_time=locked.upload_time,
    )


def locked_sdist_target(lock: Lock, file: DistFile) -> Target | None:
    """The target a locked sdist is to be built for when no target was given: the one its
    tagged line's tag block names; None for a pylock (its markers name no platform tags)."""
    for package in lock.packages:
        same = package.name == file.project and package.version == file.version
        if same and package.block is not None and any(f.is_sdist for f in package.files):
            return _block_target(package, None)
    return None


def _find_on_index(
    package: LockedPackage, locked: LockedFile, index: Index, target: Target | None
) -> DistFile:
    """The index's file of a tagged lock line: the one with the locked hash; if the index gives
    no hashes, the wheel of that version the line's target ranks best (the download then checks
    the locked hash)."""
    wanted = set(locked.hashes)
    same_version = [
        f for f in files_of_version(index.files(package.name), package.version) if f.is_wheel
    ]
    for file in same_version:
        if wanted & {(a.lower(), d.lower()) for a, d in file.hashes}:
            return file
    if locked.filename is not None:
        for file in same_version:
            if file.filename == locked.filename:
                return file
    unhashed = [f for f in same_version if not any(a.lower() in STRONG for a, _ in f.hashes)]
    block_target = _block_target(package, target)
    ranked = sorted(
        (rank, f.filename, f)
        for f in unhashed
        for rank in [block_target.wheel_rank(f.tags) if block_target is not None else 0]
        if rank is not None
    )
    if ranked:
        return ranked[0][2]
    shown = ", ".join(f"{a}:{d}" for a, d in locked.hashes)
    raise LockError(
        f"{package.name}=={package.version}: no file on the index matches the locked hash "
        f"({shown})",
        hint="the index's files changed since the lock was made (or the lock was edited); "
        f"if that is expected, lock again with --upgrade-package {package.name}",
    )


def _block_target(package: LockedPackage, target: Target | None) -> Target | None:
    if package.block is None:
        return target
    if target is not None:
        return narrowed(target, package.block) or target
    try:
        return target_from_spec(parse_tag_block(package.block, lock_span(package.block)))
    except (TargetError, TokenError):
        return None
