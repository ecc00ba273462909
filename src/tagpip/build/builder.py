"""Building pure-Python sdists into wheels for a target, and refusing what is not pure.

When a version of a project has no wheel the target can run but has an sdist, the format rules allow
a build (pip's default; ``--only-binary``, ``--no-build`` and ``--no-build-package`` forbid it), and
every version with a fitting wheel was ruled out first (wheels first, see
:mod:`tagpip.resolution.candidates`), the resolver asks :meth:`SourceBuilder.vet` whether that
version can be delivered, before pinning it:

* the sdist is fetched through the index (so the index's options apply) and checked against the
  index's sha256 and the user's ``--hash`` values;
* what it declares is read before anything runs (:mod:`tagpip.build.sdistcheck`): one that clearly
  needs compiling (a compiled-code backend, extension modules, compiler build requirements) is
  ruled out at once, without a build;
* otherwise it is built by pypa/build in an isolated environment made by tagpip
  (:mod:`tagpip.build.environment`): a venv, made without pip by a real interpreter of the target's
  Python version when one is found (:mod:`tagpip.build.interpreters`), else by the host's, into
  which tagpip installs the build requirements it resolved for that interpreter, from the run's
  index; every process runs in its own group within a time budget, and is ended on every way out;
* the wheel is accepted only when it is pure and fits the target (:func:`check_pure`); a build
  that fails or comes out impure rules that version out, and the resolver moves on to the next;
* accepted wheels are kept in the cache by the sdist's sha256 and the build interpreter's
  version, and a version ruled out by its sources is remembered there too, so the next run
  neither builds nor fetches again when that sha256 is known before fetching (the index's, or
  the one a lock or ``--hash`` allows).

Building runs the project's own code, as ``pip install`` of an sdist does.
"""

from __future__ import annotations

import contextlib
import email.parser
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from packaging.metadata import Metadata
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

from tagpip import cache, fs
from tagpip.build.environment import (
    DEFAULT_BUILD_TIMEOUT,
    BuildTimedOut,
    ProcessFailed,
    Runner,
    VenvEnvironment,
)
from tagpip.build.interpreters import Interpreter, find_interpreter, host_interpreter
from tagpip.build.sdistcheck import SdistUnreadable, needs_compiling
from tagpip.config import IndexOptions
from tagpip.errors import TagpipError
from tagpip.hashes import (
    STRONG,
    HashMismatch,
    fragment_hashes,
    link_algorithms,
    link_mismatch,
    new_hasher,
)
from tagpip.index import DistFile, Index, parse_metadata
from tagpip.target import Target, TargetError, host_target, target_from_python
from tagpip.urls import git_credentials, redact_url

__all__ = [
    "DEFAULT_BUILD_TIMEOUT",
    "BuildError",
    "Built",
    "LocalSource",
    "NotPureError",
    "SourceBuilder",
    "build_wheel",
    "check_pure",
    "lockable_pins",
]

# Members of a wheel that mean it was compiled for one platform.
_COMPILED = (".so", ".pyd", ".dll", ".dylib")
_TAIL = 20
# Builds of one project that may fail before its older sdists are passed over unbuilt: a
# failure that is not the version's own (a backend that needs a newer Python) repeats.
_FAILED_BUILDS_PER_PROJECT = 2
# The format of the notes kept in the cache about sdists ruled out by their sources.
_VERDICT_FORMAT = 1


class BuildError(TagpipError):
    """A build failed: carries the project, its version and the backend's last lines."""

    def __init__(
        self,
        project: str,
        version: str,
        tail: Sequence[str],
        *,
        why: str,
        origin: str = "its sdist",
    ):
        self.project = project
        self.version = version
        self.why = why
        self.tail = tuple(tail)
        shown = "".join(f"\n  | {line}" for line in self.tail)
        named = f"{project} {version}" if version else project
        super().__init__(
            f"building {named} from {origin} failed: {why}{shown}",
            hint="fix the build, use a version that ships wheels, or pass --no-build to fail "
            "early instead of building",
        )


class NotPureError(TagpipError):
    """A built wheel is not pure Python, or its tags do not fit the target; or, with
    ``before_building``, the source shows it needs compiling, so nothing was built."""

    def __init__(
        self,
        project: str,
        version: str,
        target: str,
        reasons: Sequence[str],
        *,
        origin: str = "its sdist",
        before_building: bool = False,
    ):
        self.project = project
        self.version = version
        self.target = target
        self.reasons = tuple(reasons)
        named = f"{project} {version}" if version else project
        if before_building:
            message = (
                f"{named} needs compiling for {target}: {origin} shows it "
                f"({'; '.join(self.reasons)}); tagpip refused it without building"
            )
        else:
            message = (
                f"{named} needs compiling for {target}: {origin} built a wheel that is not "
                f"pure Python ({'; '.join(self.reasons)}); tagpip refused it"
            )
        super().__init__(
            message,
            hint=f"use a version of {project} that ships wheels for the target, build it on the "
            "target itself, or build a wheel there and pass its folder with -f",
        )


class SourceError(TagpipError):
    """A local or VCS source that cannot be read, fetched or built as named."""


@dataclass(frozen=True)
class Built:
    """A built, accepted wheel: where it is, as a file the downloader can fetch, and whence."""

    sdist: DistFile
    path: Path
    file: DistFile
    interpreter: Interpreter
    reused: bool


@dataclass(frozen=True)
class LocalSource:
    """Where a wheel built from a source requirement came from: ``kind`` is ``"directory"``,
    ``"archive"`` or ``"vcs"`` (PEP 751's names), ``url`` the requirement's URL as written and
    ``commit`` the commit a VCS reference resolved to."""

    kind: str
    url: str
    commit: str | None = None

    def describe(self) -> str:
        if self.kind == "vcs" and self.commit:
            return f"{self.url} (commit {self.commit})"
        return self.url


def check_pure(
    wheel: Path, project: str, version: str, target: Target, *, origin: str = "its sdist"
) -> None:
    """Raise :class:`NotPureError` unless ``wheel`` is pure Python and its tags fit ``target``:
    no compiled members, ``Root-Is-Purelib: true``, tags among the target's."""
    reasons: list[str] = []
    _, _, _, tags = parse_wheel_filename(wheel.name)
    if target.wheel_rank(tags) is None:
        shown = ", ".join(sorted(str(t) for t in tags))
        reasons.append(f"its tags {shown} are not the target's")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        compiled = [n for n in names if n.lower().endswith(_COMPILED)]
        if compiled:
            reasons.append("compiled members: " + ", ".join(sorted(compiled)[:3]))
        wheel_files = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/WHEEL")]
        purelib = False
        if wheel_files:
            text = archive.read(wheel_files[0]).decode("utf-8", "replace")
            fields = email.parser.Parser().parsestr(text)
            purelib = (fields.get("Root-Is-Purelib") or "").strip().lower() == "true"
        if not purelib:
            reasons.append("Root-Is-Purelib is not true")
    if reasons:
        raise NotPureError(project, version, target.describe(), reasons, origin=origin)


def _extract(archive: Path, into: Path) -> Path:
    """Unpack an sdist safely (no member outside ``into``) and return its project folder."""
    into.mkdir(parents=True, exist_ok=True)
    if archive.name.lower().endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                _check_member(name)
            zipped.extractall(into)
    else:
        with tarfile.open(archive) as tarred:
            for member in tarred.getmembers():
                _check_member(member.name)
                if member.islnk() or member.issym():
                    _check_member(str(PurePosixPath(member.name).parent / member.linkname))
            if hasattr(tarfile, "data_filter"):
                tarred.extractall(into, filter="data")
            else:  # pragma: no cover - old 3.9 releases; members were checked above
                tarred.extractall(into)
    entries = list(into.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return into


def _check_member(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise TagpipError(f"the sdist has a member outside its folder: {name}; tagpip refused it")


def _static_metadata(archive: Path) -> bytes | None:
    """The sdist's PKG-INFO when it states its dependencies statically (PEP 643: Metadata-
    Version 2.2 or later, Requires-Dist and Requires-Python not Dynamic), else None."""
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                names = [n for n in zipped.namelist() if n.count("/") == 1]
                found = [n for n in names if n.endswith("/PKG-INFO")]
                data = zipped.read(found[0]) if found else None
        else:
            with tarfile.open(archive) as tarred:
                data = None
                for member in tarred.getmembers():
                    if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                        handle = tarred.extractfile(member)
                        data = handle.read() if handle is not None else None
                        break
    except (OSError, tarfile.TarError, zipfile.BadZipFile, KeyError):
        return None
    if data is None:
        return None
    fields = email.parser.BytesParser().parsebytes(data)
    try:
        major, minor = (int(p) for p in (fields.get("Metadata-Version") or "0.0").split(".")[:2])
    except ValueError:
        return None
    if (major, minor) < (2, 2):
        return None
    dynamic = {d.strip().lower() for d in fields.get_all("Dynamic") or ()}
    if dynamic & {"requires-dist", "requires-python"}:
        return None
    return data


class _Failed(Exception):
    def __init__(self, why: str, lines: Sequence[str]):
        super().__init__(why)
        self.why = why
        self.lines = list(lines)


# Installs build requirements into a build environment (see SourceBuilder._installer), or
# raises _Failed; the environment records what it installed.
InstallRequirements = Callable[[Collection[str], VenvEnvironment], None]


def build_wheel(
    sdist: Path,
    out: Path,
    *,
    project: str,
    version: str,
    interpreter: Interpreter,
    install: InstallRequirements,
    origin: str = "its sdist",
    config_settings: Mapping[str, str | list[str]] | None = None,
    runner: Runner | None = None,
) -> tuple[Path, tuple[str, ...]]:
    """Build ``sdist`` (an archive, or a project folder, built in place as pip does) into a wheel
    in ``out`` with pypa/build, in a venv made without pip by ``interpreter`` into which
    ``install`` puts the build requirements; return the wheel and what was installed there
    (``setuptools 59.6.0``).
    Raise :class:`BuildError` with the backend's last lines when it fails or ``runner``'s
    budget runs out (every process it started is ended). ``origin`` names the source in
    messages; ``config_settings`` go to the backend's hooks (pip's ``-C KEY=VALUE``)."""
    import build as pypa_build

    runner = runner or Runner(None)

    def hooks(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        try:
            runner.run(cmd, cwd=cwd, extra_environ=extra_environ)
        except ProcessFailed as failed:
            raise subprocess.CalledProcessError(failed.returncode, list(cmd)) from None

    def failed(why: str, lines: Sequence[str]) -> BuildError:
        return BuildError(project, version, list(lines)[-_TAIL:], why=why, origin=origin)

    # The backend's own warnings (pypa/build re-raises them as Python warnings) are its business.
    with tempfile.TemporaryDirectory(prefix="tagpip-build-") as temp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        work = Path(temp)
        try:
            source = sdist if sdist.is_dir() else _extract(sdist, work / "src")
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as failure:
            raise failed(f"cannot unpack it: {failure}", []) from None
        try:
            env = VenvEnvironment(interpreter.path, work / "env", runner, install)
            builder: Any = pypa_build.ProjectBuilder.from_isolated_env(env, source, runner=hooks)
            env.install(builder.build_system_requires)
            env.install(builder.get_requires_for_build("wheel", config_settings or None))
            runner.check()
            out.mkdir(parents=True, exist_ok=True)
            built = builder.build("wheel", str(work / "dist"), config_settings or None)
        except _Failed as failure:
            raise failed(failure.why, failure.lines) from None
        except BuildTimedOut as late:
            raise failed(str(late), late.lines) from None
        except ProcessFailed as failure:
            raise failed("the build environment failed", failure.lines) from None
        except pypa_build.BuildBackendException as failure:
            cause = getattr(failure, "exception", None)
            if isinstance(cause, BuildTimedOut):
                raise failed(str(cause), cause.lines) from None
            raise failed("the build backend failed", runner.lines) from None
        except pypa_build.BuildException as failure:
            raise failed(str(failure), runner.lines) from None
        except OSError as failure:
            raise failed(f"the build environment failed: {failure}", runner.lines) from None
        wheel = Path(built)
        final = out / wheel.name
        shutil.move(str(wheel), final)
        used = tuple(f"{name} {version}" for name, version in env.installed.items())
        return final, used


class SourceBuilder:
    """Vets and builds the sdists a resolution reaches, once each, for one target.

    ``on_build`` receives one line per build actually run and one per version passed over
    (the CLI prints them unless ``-q``); ``on_warning`` receives the metadata-honesty warning
    (dynamic metadata computed on another Python); ``on_status`` the progress of a running
    build (``building numpy 2.3.0: 12 s``), for a terminal. ``build_timeout`` bounds each build
    in seconds (None: no limit).
    """

    def __init__(
        self,
        index: Index,
        target: Target,
        options: IndexOptions,
        *,
        no_build: bool = False,
        no_build_packages: Collection[str] = (),
        user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
        require_hashes: bool = False,
        config_settings: Mapping[NormalizedName, Sequence[str]] | None = None,
        preferred_python: str | None = None,
        build_timeout: float | None = DEFAULT_BUILD_TIMEOUT,
        on_build: Callable[[str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        building: frozenset[str] = frozenset(),
    ) -> None:
        self.index = index
        self.target = target
        self.options = options
        self.no_build = no_build
        self.no_build_packages = frozenset(canonicalize_name(n) for n in no_build_packages)
        self.user_hashes = dict(user_hashes or {})
        # Hash-checking mode (pip's rule, see inputs.wants_hashes): a folder or VCS source,
        # which has no file to hash, is then refused, as pip refuses it.
        self.require_hashes = require_hashes
        # ``-C KEY=VALUE`` per project (the command line's under the key ""), pip's build settings.
        self.config_settings = {k: tuple(v) for k, v in (config_settings or {}).items()}
        self.preferred_python = preferred_python
        self.build_timeout = build_timeout or None
        self.on_build = on_build
        self.on_warning = on_warning
        self.on_status = on_status
        # The projects whose builds are under way above this builder (a build requirement
        # built from source gets a builder of its own): one of them again is a cycle.
        self.building = building
        self._built: dict[str, Built] = {}
        self._local: dict[str, Built] = {}
        # The built wheel's URL -> the local or VCS source it came from (see local()).
        self.sources: dict[str, LocalSource] = {}
        self._sdists: dict[str, Path] = {}
        self._interpreter: Interpreter | None = None
        self._interpreter_targets: dict[str, Target] = {}
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        # vet()'s answers by the sdist's URL, and how many builds of each project failed.
        self._verdicts: dict[str, str | None] = {}
        self._failures: dict[str, int] = {}

    def allows(self, project: str) -> bool:
        """Whether the format rules let ``project`` be built from source."""
        return not self.no_build and canonicalize_name(project) not in self.no_build_packages

    def close(self) -> None:
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def _folder(self, name: str) -> Path:
        root = self.options.cache_dir
        if root is not None and not self.options.no_cache:
            folder = root / name
        else:
            if self._temp is None:
                self._temp = tempfile.TemporaryDirectory(prefix="tagpip-sources-")
            folder = Path(self._temp.name) / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def interpreter(self) -> Interpreter:
        """The interpreter builds run on: the target's version when found, else the host's."""
        if self._interpreter is None:
            major, minor = self.target.python_version[:2]
            found = find_interpreter(major, minor, preferred=self.preferred_python)
            self._interpreter = found if found is not None else host_interpreter()
        return self._interpreter

    def _user_digests(self, project: str) -> set[tuple[str, str]]:
        """The ``(algorithm, hex)`` pairs the user's ``--hash`` values (or a lock's) allow."""
        pairs = set()
        for value in self.user_hashes.get(canonicalize_name(project), ()):
            algo, _, digest = value.partition(":")
            if algo.lower() in STRONG:
                pairs.add((algo.lower(), digest.lower()))
        return pairs

    def _known_sha256(self, file: DistFile) -> str | None:
        """The one sha256 the sdist's bytes must have, when the index and the user's hashes say
        so before fetching it; None when that is not certain."""
        expected = dict(file.hashes).get("sha256")
        user = self._user_digests(file.project)
        if expected is not None:
            expected = expected.lower()
            if user and ("sha256", expected) not in user:
                return None  # the fetch will report the mismatch
            return expected
        allowed = [d for a, d in user if a == "sha256"]
        if len(allowed) == 1 and len(user) == 1:
            return allowed[0]
        return None

    def sdist(self, file: DistFile) -> Path:
        """The sdist's bytes on disk, checked against the index's and the user's hashes."""
        if file.url in self._sdists:
            return self._sdists[file.url]
        folder = self._folder(cache.SDISTS)
        user = self._user_digests(file.project)
        wanted = {"sha256", *(a for a, _ in user), *link_algorithms(file.hashes)}
        digests = {a: new_hasher(a) for a in wanted}
        # ``tmp``: the name the cache sweep (tagpip.workflow.cachedir) knows as a leftover in
        # sdists. The final name depends on the sha256, known only once every byte has arrived.
        temp = fs.temp_file(folder, prefix="tmp")
        try:
            with open(temp, "wb") as out, self.index.open(file) as chunks:
                for chunk in chunks:
                    for digest in digests.values():
                        digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            fs.discard(temp)
            raise
        actual = {a: d.hexdigest() for a, d in digests.items()}
        sha256 = actual["sha256"]
        problem = None
        mismatch = link_mismatch(file.hashes, actual)
        if mismatch is not None:
            algo, expected, got = mismatch
            problem = f"its link says {algo} {expected} (the file's is {got})"
        elif user and not any(actual[a] == d for a, d in user):
            problem = "no --hash given for it matches (a lock's hashes count as --hash)"
        if problem is not None:
            fs.discard(temp)
            raise HashMismatch(
                f"{file.project}: {file.filename} has sha256 {sha256}, but {problem}; "
                "tagpip refused it",
                hint="check the index, or the --hash lines",
                project=file.project,
                filename=file.filename,
                got=f"sha256:{sha256}",
            )
        path = folder / sha256 / file.filename
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fs.commit(temp, path, mode=None)
        except BaseException:
            fs.discard(temp)
            raise
        self._sdists[file.url] = path
        return path

    def metadata(self, file: DistFile) -> Metadata:
        """The sdist's core metadata: static PKG-INFO when PEP 643 allows, else the built
        wheel's METADATA."""
        static = _static_metadata(self.sdist(file))
        if static is not None:
            return parse_metadata(file, static)
        built = self.wheel(file)
        interpreter = built.interpreter
        if interpreter.version[:2] != tuple(self.target.python_version[:2]) and self.on_warning:
            self.on_warning(
                f"{file.project} {file.version}: its metadata is dynamic and it was built on "
                f"{interpreter.describe()}, not the target's Python: its dependencies were "
                "computed on another Python"
            )
        with zipfile.ZipFile(built.path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            return parse_metadata(built.file, archive.read(names[0]))

    def vet(self, file: DistFile) -> str | None:
        """Whether the sdist ``file`` gives the target a pure wheel: None when it does (built
        and checked, or found in the cache; :meth:`wheel` then returns it), else why not, in
        words that read after ``PROJECT VERSION:`` (the first line; a failed build adds the
        backend's last lines below it). Each version passed over is said in one line.

        What rules a version out is the version's own doing: its sources need compiling (read
        from the sdist, nothing run), its build failed or ran out of time, or it built an
        impure wheel. A hash mismatch, a download that fails or an interrupt are the run's:
        they are raised, never taken for a verdict."""
        if file.url in self._verdicts:
            return self._verdicts[file.url]
        reason = self._vet(file)
        self._verdicts[file.url] = reason
        if reason is not None and self.on_build is not None:
            self.on_build(f"passed over {file.project} {file.version}: {reason.splitlines()[0]}")
        return reason

    def _vet(self, file: DistFile) -> str | None:
        project = canonicalize_name(file.project)
        if project in self.building:
            return "it is a build requirement of its own build (a cycle); nothing was built"
        interpreter = self.interpreter()
        known = self._known_sha256(file)
        if known is not None:
            remembered = self._remembered(known, interpreter, project)
            if remembered is not None:
                return remembered
        if not (known is not None and self._cached(file, known, interpreter)):
            failures = self._failures.get(project, 0)
            if failures >= _FAILED_BUILDS_PER_PROJECT:
                return (
                    f"not built, after the builds of {failures} newer versions of "
                    f"{file.project} failed"
                )
            sha256 = self.sdist(file).parent.name
            remembered = self._remembered(sha256, interpreter, project)
            if remembered is not None:
                return remembered
            if not self._cached(file, sha256, interpreter):
                try:
                    why = needs_compiling(self.sdist(file), self._marker_holds)
                except SdistUnreadable as unreadable:
                    return f"its sdist cannot be read ({unreadable}); nothing was built"
                if why is not None:
                    reason = f"its sdist needs compiling ({why}); nothing was built"
                    self._remember(sha256, None, project, reason)
                    return reason
        try:
            self.wheel(file)
        except NotPureError as impure:
            reason = (
                f"its sdist built a wheel that is not pure Python ({'; '.join(impure.reasons)})"
            )
            sha256 = known or self.sdist(file).parent.name
            self._remember(sha256, interpreter, project, reason)
            return reason
        except BuildError as failed:
            self._failures[project] = self._failures.get(project, 0) + 1
            shown = "".join(f"\n    | {line}" for line in failed.tail)
            return f"its build failed: {failed.why}{shown}"
        return None

    def _marker_holds(self, requirement: Any) -> bool:
        """A build requirement's marker, for the target (undecidable counts as true)."""
        try:
            return self.target.evaluate(requirement.marker)
        except TargetError:
            return True

    def _verdict_path(self, sha256: str, interpreter: Interpreter | None, project: str) -> Path:
        """Where the cache keeps why the sdist with ``sha256`` was ruled out: beside its built
        wheels, for any interpreter (its sources need compiling) or for one (its build on that
        version came out impure)."""
        folder = self._folder(cache.BUILT) / sha256
        if interpreter is not None:
            folder = self._built_folder(sha256, interpreter, project)
        return folder / "ruled-out.json"

    def _remembered(self, sha256: str, interpreter: Interpreter, project: str) -> str | None:
        """Why an earlier run ruled out the sdist with ``sha256``, if it did; a damaged note
        is a miss."""
        for path in (
            self._verdict_path(sha256, None, project),
            self._verdict_path(sha256, interpreter, project),
        ):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (
                isinstance(data, dict)
                and data.get("format") == _VERDICT_FORMAT
                and isinstance(data.get("reason"), str)
            ):
                return str(data["reason"])
        return None

    def _remember(
        self, sha256: str, interpreter: Interpreter | None, project: str, reason: str
    ) -> None:
        """Keep why the sdist with ``sha256`` was ruled out (a cache that cannot be written
        is only a miss next time)."""
        path = self._verdict_path(sha256, interpreter, project)
        text = json.dumps({"format": _VERDICT_FORMAT, "reason": reason}, sort_keys=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fs.write_bytes_atomically(path, text.encode())
        except OSError:
            pass

    def wheel(self, file: DistFile) -> Built:
        """The accepted wheel built from ``file`` (built once, then taken from the cache);
        raises :class:`BuildError` or :class:`NotPureError`."""
        if file.url in self._built:
            return self._built[file.url]
        interpreter = self.interpreter()
        known = self._known_sha256(file)
        found = self._cached(file, known, interpreter) if known is not None else []
        sdist: Path | None = None
        if not found:
            sdist = self.sdist(file)
            found = self._cached(file, sdist.parent.name, interpreter)
        reused = bool(found)
        if found:
            wheel = found[0]
        else:
            assert sdist is not None
            folder = self._built_folder(sdist.parent.name, interpreter, file.project)
            wheel = self._build(
                sdist, file.project, str(file.version), interpreter, folder, "its sdist"
            )
        check_pure(wheel, file.project, str(file.version), self.target)
        data = wheel.read_bytes()
        _, version, build_tag, tags = parse_wheel_filename(wheel.name)
        as_file = DistFile(
            project=file.project,
            filename=wheel.name,
            url=wheel.resolve().as_uri(),
            version=version,
            build=build_tag,
            tags=tags,
            is_wheel=True,
            hashes=(("sha256", hashlib.sha256(data).hexdigest()),),
            requires_python=file.requires_python,
        )
        built = Built(file, wheel, as_file, interpreter, reused)
        self._built[file.url] = built
        return built

    def _build(
        self,
        source: Path,
        project: str,
        version: str,
        interpreter: Interpreter,
        folder: Path,
        origin: str,
    ) -> Path:
        """Build ``source`` on ``interpreter``, check the wheel pure for the target, keep it in
        ``folder`` and return it there; one line says the build starts, and one, only once
        the wheel was checked, that it is pure Python and what built it."""
        named = f"{project} {version}" if version else project
        if self.on_build is not None:
            self.on_build(f"building {named} from {origin} on {interpreter.describe()}")
        on_tick = None
        if self.on_status is not None:
            status = self.on_status

            def on_tick(elapsed: float) -> None:
                status(f"building {named}: {elapsed:.0f} s")

        runner = Runner(self.build_timeout, on_tick)
        with tempfile.TemporaryDirectory(prefix="tagpip-out-") as out:
            wheel, used = build_wheel(
                source,
                Path(out),
                project=project,
                version=version,
                interpreter=interpreter,
                install=self._installer(interpreter, project),
                origin=origin,
                config_settings=self.settings_for(project),
                runner=runner,
            )
            shown = version or str(parse_wheel_filename(wheel.name)[1])
            check_pure(wheel, project, shown, self.target, origin=origin)
            folder.mkdir(parents=True, exist_ok=True)
            kept = folder / wheel.name
            # Copied under a temporary name and renamed: a run stopped half-way leaves no
            # cut-short wheel under the name the next run takes from the cache.
            temp = fs.temp_file(folder, prefix=".tmp-", suffix=".whl.part")
            try:
                temp.unlink()
                fs.clone_or_copy(wheel, temp)
                fs.commit(temp, kept, mode=0o644)
            except BaseException:
                fs.discard(temp)
                raise
        if self.on_build is not None:
            with_what = f" (build requirements: {', '.join(used)})" if used else ""
            self.on_build(f"built {kept.name}: pure Python{with_what}")
        return kept

    def _interpreter_target(self, interpreter: Interpreter) -> Target:
        """The target a build environment's requirements are resolved for: the build
        interpreter itself, as it reports its tags and markers."""
        if interpreter.path not in self._interpreter_targets:
            if interpreter == host_interpreter():
                made = host_target()
            else:
                made = target_from_python(interpreter.path)
            self._interpreter_targets[interpreter.path] = made
        return self._interpreter_targets[interpreter.path]

    def _installer(self, interpreter: Interpreter, project: str) -> InstallRequirements:
        """Puts build requirements into a build environment: resolved by tagpip for the build
        interpreter (its tags, its markers, Requires-Python from metadata) with the run's
        index, options and caches, their wheels fetched and installed with ``installer``.
        A build requirement with no wheel for that interpreter is built the same way, by a
        builder of its own (a cycle is refused). Nothing here puts an index URL on a command
        line; the environment records what it holds."""

        def install(requirements: Collection[str], env: VenvEnvironment) -> None:
            from tagpip.download import download
            from tagpip.requirements import parse_line
            from tagpip.resolution import resolve

            wanted = sorted(set(env.requirements) | set(requirements))
            try:
                target = self._interpreter_target(interpreter)
                source = f"the build requirements of {project}"
                lines = [parse_line(text, source=source) for text in wanted]
                nested = SourceBuilder(
                    self.index,
                    target,
                    self.options,
                    no_build=self.no_build,
                    no_build_packages=self.no_build_packages,
                    preferred_python=interpreter.path,
                    build_timeout=self.build_timeout,
                    on_build=self.on_build,
                    on_warning=self.on_warning,
                    on_status=self.on_status,
                    building=self.building | {canonicalize_name(project)},
                )
                try:
                    resolution = resolve(lines, target, self.index, builder=nested)
                    pins = [
                        p for p in resolution.pins if env.installed.get(p.name) != str(p.version)
                    ]
                    clash = [p for p in pins if p.name in env.installed]
                    if clash:
                        raise _Failed(
                            f"the build requirements disagree: {clash[0].name} "
                            f"{env.installed[clash[0].name]} is installed, "
                            f"{clash[0].version} is wanted",
                            [],
                        )
                    built = {p.name: nested.wheel(p.file).path for p in pins if not p.file.is_wheel}
                    with tempfile.TemporaryDirectory(prefix="tagpip-reqs-") as temp:
                        fetched = download(
                            [p.file for p in pins if p.file.is_wheel], Path(temp), self.index
                        )
                        paths = {d.file.filename: d.path for d in fetched}
                        for pin in pins:
                            path = built.get(pin.name) or paths[pin.file.filename]
                            _install_wheel(path, env)
                            env.installed[pin.name] = str(pin.version)
                finally:
                    nested.close()
            except TagpipError as error:
                raise _Failed(
                    f"installing the build requirements ({', '.join(wanted)}) for "
                    f"{interpreter.describe()} failed: {error.message}",
                    [],
                ) from None
            env.requirements[:] = wanted

        return install

    def local(self, project: str, url: str) -> Built:
        """The accepted wheel built from a source requirement: ``url`` is a ``file:`` URL of a
        project folder or an sdist archive, or a ``git+`` URL (cloned, the reference resolved to
        a commit). A folder and a VCS checkout are built every run, as pip does; an archive is
        cached by its sha256 like an index's sdist. The wheel is checked pure and must be
        ``project``'s; :attr:`sources` maps its URL to the :class:`LocalSource`."""
        if url in self._local:
            return self._local[url]
        if not self.allows(project):
            raise SourceError(
                f"{project} @ {url} needs building from source, and --no-build-package "
                f"{project} forbids it; tagpip refused it",
                hint="build a wheel and name it on the line instead",
            )
        is_vcs = url.lower().startswith("git+")
        is_remote = url.lower().startswith(("https:", "http:"))
        hashed = bool(self._user_digests(project))
        if (is_vcs or (not is_remote and _file_url_path(project, url).is_dir())) and (
            self.require_hashes or hashed
        ):
            what = "a VCS URL" if is_vcs else "a project folder"
            raise HashMismatch(
                f"{project} @ {url}: a --hash cannot be checked against {what} (there is no file "
                "to hash), and hashes are required for every requirement; tagpip refused it, as "
                "pip does",
                hint="build a wheel or an sdist archive, name that file with its --hash, "
                "or drop --require-hashes",
                project=project,
            )
        if self.require_hashes and not hashed:
            raise HashMismatch(
                f"{project} @ {url}: hashes are required (--require-hashes, or a --hash on some "
                "line), but this line has none; tagpip refused it, as pip does",
                hint="add --hash=sha256:... of the sdist to the line, or pass --no-require-hashes",
                project=project,
            )
        interpreter = self.interpreter()
        commit: str | None = None
        with tempfile.TemporaryDirectory(prefix="tagpip-src-") as temp:
            if is_vcs:
                kind = "vcs"
                source, commit = _git_checkout(project, url, Path(temp) / "checkout")
                origin = f"{url} at commit {commit}"
            elif is_remote:
                kind = "archive"
                source = self._remote_sdist(project, url)
                origin = f"the sdist {url.partition('#')[0]}"
            else:
                source = _file_url_path(project, url)
                kind = "directory" if source.is_dir() else "archive"
                origin = f"the folder {source}" if kind == "directory" else f"the sdist {source}"
            sha256 = None
            found: list[Path] = []
            if kind == "archive":
                sha256 = self._local_sdist_sha256(project, source)
                folder = self._built_folder(sha256, interpreter, project)
                found = sorted(folder.glob("*.whl")) if folder.is_dir() else []
                found = [
                    w for w in found if _wheel_name(w) == canonicalize_name(project) and _intact(w)
                ]
            else:
                folder = self._folder(cache.BUILT_LOCAL) / hashlib.sha256(url.encode()).hexdigest()
                shutil.rmtree(folder, ignore_errors=True)
            if found:
                wheel = found[0]
            else:
                if kind == "archive":
                    try:
                        why = needs_compiling(source, self._marker_holds)
                    except SdistUnreadable as unreadable:
                        raise SourceError(
                            f"{project} @ {url}: the sdist cannot be read ({unreadable})"
                        ) from None
                    if why is not None:
                        target = self.target.describe()
                        raise NotPureError(
                            project, "", target, [why], origin=origin, before_building=True
                        )
                wheel = self._build(source, project, "", interpreter, folder, origin)
        name, version, build_tag, tags = parse_wheel_filename(wheel.name)
        if name != canonicalize_name(project):
            raise SourceError(
                f"{project} @ {url}: the source builds {name}, not {project}; tagpip refused it",
                hint=f"name the project it builds: {name} @ {url}",
            )
        check_pure(wheel, project, str(version), self.target, origin=origin)
        as_file = DistFile(
            project=name,
            filename=wheel.name,
            url=wheel.resolve().as_uri(),
            version=version,
            build=build_tag,
            tags=tags,
            is_wheel=True,
            hashes=(("sha256", hashlib.sha256(wheel.read_bytes()).hexdigest()),),
        )
        written = url.partition("#")[0] if is_remote else url
        placeholder = DistFile(
            project=name,
            filename=written.rstrip("/").rsplit("/", 1)[-1],
            url=written,
            version=version,
            build=(),
            tags=frozenset(),
            is_wheel=False,
            hashes=(("sha256", sha256),) if sha256 else (),
        )
        built = Built(placeholder, wheel, as_file, interpreter, reused=bool(found))
        self._local[url] = built
        if kind == "archive":
            self._built[url] = built  # wheel() of the locked sdist is this build
        self.sources[as_file.url] = LocalSource(kind, url, commit)
        return built

    def _remote_sdist(self, project: str, url: str) -> Path:
        """The sdist a ``name @ https://.../x-1.0.tar.gz`` line names, fetched like an index's
        sdist (through the index's session: its credentials, TLS and retries) and checked
        against the URL's ``#sha256=`` and the line's ``--hash`` values."""
        from packaging.utils import InvalidSdistFilename, parse_sdist_filename

        path = url.partition("#")[0]
        filename = path.rstrip("/").rsplit("/", 1)[-1]
        try:
            _, version = parse_sdist_filename(filename)
        except InvalidSdistFilename:
            raise SourceError(
                f"{project} @ {url}: {filename} is neither a wheel nor an sdist (.tar.gz or "
                ".zip); tagpip refused it",
                hint="link to a .whl file or an sdist archive",
            ) from None
        hashes = fragment_hashes(url)
        file = DistFile.untagged(canonicalize_name(project), filename, path, version, hashes=hashes)
        return self.sdist(file)

    def _local_sdist_sha256(self, project: str, archive: Path) -> str:
        """A local sdist's sha256, checked against the user's ``--hash`` values of ``project``."""
        if not archive.is_file():
            raise SourceError(f"{project}: no sdist at {archive}")
        user = self._user_digests(project)
        data = archive.read_bytes()
        actual = {a: hashlib.new(a, data).hexdigest() for a in {"sha256", *(a for a, _ in user)}}
        if user and not any(actual[a] == d for a, d in user):
            raise HashMismatch(
                f"{project}: {archive} has sha256 {actual['sha256']}, but no --hash given for it "
                "matches; tagpip refused it",
                hint="check the file, or the --hash lines",
                project=project,
                filename=archive.name,
                got=f"sha256:{actual['sha256']}",
            )
        return actual["sha256"]

    def settings_for(self, project: str) -> dict[str, str | list[str]]:
        """The backend's config settings for ``project``: the command line's ``-C`` values, then
        its lines'; a key given more than once holds a list, as pip passes it."""
        merged: dict[str, str | list[str]] = {}
        for item in (
            *self.config_settings.get(NormalizedName(""), ()),
            *self.config_settings.get(canonicalize_name(project), ()),
        ):
            key, _, value = item.partition("=")
            known = merged.get(key)
            if known is None:
                merged[key] = value
            else:
                merged[key] = [*(known if isinstance(known, list) else [known]), value]
        return merged

    def _built_folder(self, sha256: str, interpreter: Interpreter, project: str) -> Path:
        """Where wheels built from the sdist with ``sha256`` on ``interpreter``'s version are
        kept: config settings change what a backend builds, so each set has its own folder."""
        name = f"py{interpreter.short}"
        settings = self.settings_for(project)
        if settings:
            import json

            key = json.dumps(settings, sort_keys=True).encode()
            name += f"-C{hashlib.sha256(key).hexdigest()[:16]}"
        return self._folder(cache.BUILT) / sha256 / name

    def _cached(self, file: DistFile, sha256: str, interpreter: Interpreter) -> list[Path]:
        """The wheels the cache holds from the sdist with ``sha256`` built on ``interpreter``'s
        version, when they are this project and version."""
        folder = self._built_folder(sha256, interpreter, file.project)
        found = []
        for wheel in sorted(folder.glob("*.whl")) if folder.is_dir() else []:
            try:
                name, version, _, _ = parse_wheel_filename(wheel.name)
            except ValueError:
                continue
            if name == canonicalize_name(file.project) and version == file.version:
                if not _intact(wheel):
                    # Damaged (cut short, overwritten): a miss, built again and replaced.
                    with contextlib.suppress(OSError):
                        wheel.unlink()
                    continue
                found.append(wheel)
        return found


def _intact(wheel: Path) -> bool:
    """Whether a kept wheel is a zip whose every member reads back with its CRC."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.testzip() is None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError):
        return False


def _install_wheel(wheel: Path, env: VenvEnvironment) -> None:
    """Install one wheel into a build environment's scheme with ``installer`` (no bytecode:
    the build's interpreter compiles what it imports)."""
    import platform

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    scheme = env.scheme
    kind: Literal["posix", "win-ia32", "win-amd64", "win-arm", "win-arm64"] = "posix"
    if os.name == "nt":  # pragma: no cover - Windows
        machine = platform.machine().lower()
        kind = (
            "win-arm64" if machine == "arm64" else "win-ia32" if machine == "x86" else "win-amd64"
        )
    destination = SchemeDictionaryDestination(
        {
            "purelib": scheme["purelib"],
            "platlib": scheme["platlib"],
            "headers": scheme.get("include", scheme["data"]),
            "scripts": scheme["scripts"],
            "data": scheme["data"],
        },
        interpreter=env.python_executable,
        script_kind=kind,
    )
    try:
        with WheelFile.open(wheel) as source:
            install(source, destination, {"INSTALLER": b"tagpip"})
    except Exception as failure:  # OSError, a bad zip, installer's own (an invalid RECORD)
        why = f"installing {wheel.name} into the build environment failed: {failure}"
        raise _Failed(why, []) from None


def lockable_pins(pins: Sequence[Any], builder: SourceBuilder | None) -> list[Any]:
    """The pins ``lock`` records, each built from a local sdist archive given back its sdist (a
    ``file:`` URL and sha256, locked as an index's sdist is and rebuilt from it); a pin built
    from a local folder or a VCS URL is refused by name: a lock holding a path to a folder that
    may change, or a checkout's wheel, could not be rebuilt and verified elsewhere."""
    import dataclasses

    if builder is None:
        return list(pins)
    out = []
    for pin in pins:
        source = builder.sources.get(pin.file.url)
        if source is not None and source.kind == "archive":
            pin = dataclasses.replace(pin, file=builder._local[source.url].sdist)
        elif source is not None:
            what = {"vcs": "a VCS URL", "directory": "a local folder"}[source.kind]
            raise SourceError(
                f"{pin.name} comes from {what} ({source.describe()}): tagpip does not lock "
                "folders or VCS sources yet, because the lock could not rebuild and verify it "
                "elsewhere; tagpip refused it",
                hint=f"build an sdist or a wheel of {pin.name} and lock that file "
                "(a local sdist is locked by its path and sha256)",
            )
        out.append(pin)
    return out


def _wheel_name(wheel: Path) -> NormalizedName | None:
    try:
        return parse_wheel_filename(wheel.name)[0]
    except ValueError:
        return None


def _file_url_path(project: str, url: str) -> Path:
    """The local path a ``file:`` URL names (pip's reading: no host, or localhost)."""
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise SourceError(
            f"{project} @ {url}: only local files, folders and git+ URLs are built from source",
            hint="give a link to a .whl file, a local path, or a name and version from the index",
        )
    path = Path(url2pathname(unquote(parts.path)))
    if not path.exists():
        raise SourceError(f"{project} @ {url}: no file or folder at {path}")
    return path


def _git_checkout(project: str, url: str, into: Path) -> tuple[Path, str]:
    """Clone a ``git+`` URL (``git+SCHEME://...[@REF][#subdirectory=DIR]``, pip's form) into
    ``into``, check out its reference, and return the folder to build and the commit."""
    from urllib.parse import parse_qs, urlsplit

    git = shutil.which("git")
    if git is None:
        raise SourceError(f"{project} @ {url}: git is not installed", hint="install git")
    remote, _, fragment = url[4:].partition("#")
    parts = urlsplit(remote)
    ref = None
    if "@" in parts.path:
        path, _, ref = parts.path.rpartition("@")
        remote = parts._replace(path=path).geturl()
    subdirectory = (parse_qs(fragment).get("subdirectory") or [""])[0]
    # The URL's credentials go to git by its environment, never its command line (readable by
    # every local user) nor the clone's .git/config; messages show the URL redacted.
    remote, credentials = git_credentials(remote, dict(os.environ))
    environ = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **credentials}
    url = redact_url(url)

    def run(*args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            [git, *args], capture_output=True, text=True, env=environ, cwd=cwd, check=False
        )
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).splitlines()[-_TAIL:]
            shown = "".join(f"\n  | {line}" for line in lines)
            raise SourceError(f"{project} @ {url}: git {args[0]} failed{shown}")
        return done.stdout.strip()

    run("clone", "--quiet", remote, str(into))
    if ref:
        run("checkout", "--quiet", ref, cwd=into)
    commit = run("rev-parse", "HEAD", cwd=into)
    folder = into / subdirectory if subdirectory else into
    sub = PurePosixPath(subdirectory)
    if subdirectory and (sub.is_absolute() or ".." in sub.parts or not folder.is_dir()):
        raise SourceError(f"{project} @ {url}: no folder {subdirectory} in the repository")
    return folder, commit
