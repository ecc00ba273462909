"""Turning an installed folder into the artifact a user uploads: a zip or a folder.

The CLI installs the wheels with the install stage into a private folder (the tree); this
module adds the user's own files, slims the tree on request, finds ``.pth`` files, measures
what each project weighs, and writes the result. The zip is reproducible: entries sorted by
name, one timestamp (``SOURCE_DATE_EPOCH``, else 1980-01-01), permissions 0644 or 0755, no
extra fields. It is written under a temporary name next to the output and renamed, so a
failure never leaves a partial zip.

``--compile`` (:func:`compile_tree`) writes the bytecode the target's Python would write, made
by a real interpreter of that version (another version's would be ignored, and its magic number
refused, by the target): unchecked-hash pycs, which the importer uses without comparing the
source's time (the zip's fixed time would make timestamp pycs stale), compiled in one process
with a fixed hash seed so that the same tree gives the same bytes. Each pyc is added to the
RECORD of the project whose source it compiles, with its hash and size, as pip does when it
compiles; RECORD is rewritten under a new name and renamed, so a tree hard-linked from the cache
of unpacked wheels never changes the cache's files.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tagpip import fs
from tagpip.bundle.limits import Limits
from tagpip.errors import TagpipError

__all__ = [
    "ADDED",
    "BundleError",
    "CompileError",
    "Compiled",
    "Dropped",
    "Owner",
    "PthFile",
    "Sizes",
    "TooLarge",
    "add_paths",
    "check_size",
    "commit_dir",
    "commit_zip",
    "compile_tree",
    "exclude",
    "file_owners",
    "find_pth",
    "list_files",
    "sizes",
    "slim",
    "temp_next_to",
    "unzipped_size",
    "write_zip",
    "zip_time",
]

ADDED = "(your files)"
UNRECORDED = "(other files)"
_EPOCH_1980 = 315532800
_TESTS = ("tests", "test")


class BundleError(TagpipError):
    """A bundle cannot be made as asked (bad input, an output in the way)."""


class CompileError(BundleError):
    """``--compile`` cannot compile for the target: no interpreter of its version, another
    version or implementation given, or the interpreter failed."""


class TooLarge(BundleError):
    """The bundle is over a limit of the place it is for; carries the measured and the limits."""

    def __init__(
        self, what: str, size: int, limit: int, limits: Limits, subject: str = "the bundle"
    ):
        super().__init__(
            f"{subject} is {_mib(size)} {what}, over the {limits.family} limit of "
            f"{_mib(limit)} ({limit:,} bytes; {limits.source})",
            hint="drop weight with --slim or --exclude PATTERN, move projects into a layer or "
            "a container image, or write it anyway with --no-size-check",
        )
        self.what = what
        self.size = size
        self.limit = limit
        self.limits = limits


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


@dataclass(frozen=True)
class Owner:
    """Who put a file in the tree: a project (name and version) or the user."""

    name: str
    version: str = ""


@dataclass(frozen=True)
class Dropped:
    """A file left out of the bundle, by which option and why."""

    path: str
    size: int
    owner: Owner
    option: str
    reason: str


@dataclass(frozen=True)
class PthFile:
    """A ``.pth`` file at the top of the bundle, which the target's Python will not read."""

    path: str
    owner: Owner
    imports: bool


@dataclass(frozen=True)
class Sizes:
    """One project's row of the size table."""

    owner: Owner
    files: int
    unzipped: int
    zipped: int | None
    saved: Mapping[str, int] = field(default_factory=dict)


def zip_time(environ: Mapping[str, str]) -> tuple[int, int, int, int, int, int]:
    """The one timestamp of every entry: ``SOURCE_DATE_EPOCH`` (UTC, clamped to what a zip can
    hold), else 1980-01-01 00:00:00."""
    text = environ.get("SOURCE_DATE_EPOCH", "").strip()
    epoch = _EPOCH_1980
    if text:
        try:
            epoch = int(text)
        except ValueError:
            raise BundleError(
                f"SOURCE_DATE_EPOCH={text!r} is not a whole number of seconds",
                hint="set it to a Unix time such as $(git log -1 --format=%ct), or unset it",
            ) from None
    epoch = min(max(epoch, _EPOCH_1980), 4354819198)  # 2107-12-31, the last a zip can hold
    when = time.gmtime(epoch)
    return (when.tm_year, when.tm_mon, when.tm_mday, when.tm_hour, when.tm_min, when.tm_sec)


def add_paths(root: Path, paths: Sequence[str], installed: Iterable[str]) -> list[str]:
    """Copy the user's files into ``root``: a folder named with a trailing slash adds its
    contents, without one the folder itself, a file the file. Returns their paths in the tree;
    a path that is missing or already there (a project's file) is an error naming both."""
    taken = set(installed)
    added: list[str] = []
    for given in paths:
        source = Path(given)
        if not source.exists():
            raise BundleError(f"--add {given}: no such file or folder")
        if source.is_dir():
            base = "" if given.endswith(("/", os.sep)) else source.resolve().name + "/"
            pairs = [
                (base + file.relative_to(source).as_posix(), file)
                for file in sorted(source.rglob("*"))
                if file.is_file()
            ]
        else:
            pairs = [(source.name, source)]
        for rel, file in pairs:
            if rel in taken:
                raise BundleError(
                    f"--add {given}: {rel} is already in the bundle",
                    hint="a project or another --add puts a file there; rename yours",
                )
            taken.add(rel)
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, dest)
            if os.stat(file).st_mode & stat.S_IXUSR:
                os.chmod(dest, 0o755)
            added.append(rel)
    return added


def file_owners(root: Path) -> dict[str, Owner]:
    """Each installed file (path relative to ``root``) and the project whose RECORD lists it."""
    owners: dict[str, Owner] = {}
    for record in sorted(root.glob("*.dist-info/RECORD")):
        stem = record.parent.name[: -len(".dist-info")]
        name, _, version = stem.partition("-")
        owner = Owner(name.replace("_", "-").lower(), version)
        with open(record, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if row and row[0]:
                    owners[row[0]] = owner
    return owners


def list_files(root: Path) -> list[str]:
    """Every file under ``root``, as sorted posix paths relative to it."""
    found = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() or path.is_symlink()
    ]
    return sorted(found)


def _is_metadata(rel: str) -> bool:
    return any(part.endswith(".dist-info") for part in rel.split("/")[:-1])


def exclude(root: Path, patterns: Sequence[str], owners: Mapping[str, Owner]) -> list[Dropped]:
    """Delete the files matching a pattern (``fnmatch`` on the path or any folder above it);
    ``.dist-info`` files are never removed (the runtime reads them)."""
    dropped: list[Dropped] = []
    for rel in list_files(root):
        if _is_metadata(rel):
            continue
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            if any(fnmatch.fnmatchcase(p, pattern.rstrip("/")) for p in prefixes):
                dropped.append(_drop(root, rel, owners, f"--exclude {pattern}", "matched"))
                break
    return dropped


def _drop(root: Path, rel: str, owners: Mapping[str, Owner], option: str, why: str) -> Dropped:
    path = root / rel
    size = path.lstat().st_size
    path.unlink()
    return Dropped(rel, size, owners.get(rel, Owner(UNRECORDED)), option, why)


_PYC = re.compile(r"^(?P<stem>[^.]+)\.(?P<tag>[^.]+)(?:\.opt-\d)?\.pyc$")


def slim(root: Path, owners: Mapping[str, Owner]) -> tuple[list[Dropped], list[str]]:
    """``--slim``: delete, among the files a project's RECORD lists, bytecode (a wheel's
    ``__pycache__`` is checked against the source's time, which the zip's fixed time breaks,
    and a legacy ``.pyc`` with its ``.py`` beside it is of some other Python), test folders
    that no other file of the bundle imports, and type stubs (``.pyi``, never imported).

    Returns what was dropped and the test folders kept, each with the file that imports it.
    """
    files = list_files(root)
    present = set(files)
    dropped: list[Dropped] = []
    tests: dict[str, list[str]] = {}
    for rel in files:
        if rel not in owners or _is_metadata(rel):
            continue
        parts = rel.split("/")
        if (rel.endswith(".pyc") and "__pycache__" in parts) or (
            rel.endswith(".pyc") and rel[:-1] in present
        ):
            dropped.append(_drop(root, rel, owners, "--slim", "bytecode"))
        elif rel.endswith(".pyi"):
            dropped.append(_drop(root, rel, owners, "--slim", "type stubs"))
        else:
            for i, part in enumerate(parts[:-1]):
                if part in _TESTS:
                    tests.setdefault("/".join(parts[: i + 1]), []).append(rel)
                    break
    kept: list[str] = []
    sources = [rel for rel in files if rel.endswith(".py") and (root / rel).exists()]
    for folder, members in sorted(tests.items()):
        importer = _importer_of(root, folder, sources)
        if importer is not None:
            kept.append(f"{folder} (imported by {importer})")
            continue
        for rel in members:
            if (root / rel).exists():
                dropped.append(_drop(root, rel, owners, "--slim", "tests"))
    return dropped, kept


def _importer_of(root: Path, folder: str, sources: Sequence[str]) -> str | None:
    """A Python file outside ``folder`` that names its module (``pkg.tests``, or ``.tests``
    from the package above), or None."""
    module = folder.replace("/", ".")
    parent = module.rpartition(".")[0]
    leaf = module.rpartition(".")[2]
    absolute = re.compile(rf"\b{re.escape(module)}\b")
    relative = re.compile(rf"from\s+\.\s+import\s+[^\n]*\b{leaf}\b|from\s+\.{leaf}\b")
    for source in sources:
        if source.startswith(folder + "/"):
            continue
        try:
            text = (root / source).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        here = source.rpartition("/")[0].replace("/", ".")
        if absolute.search(text) or (here == parent and relative.search(text)):
            return source
    return None


def find_pth(root: Path, owners: Mapping[str, Owner]) -> list[PthFile]:
    """The ``.pth`` files at the top of ``root`` (where ``site`` would read them)."""
    found: list[PthFile] = []
    for path in sorted(root.glob("*.pth")):
        text = path.read_text(encoding="utf-8", errors="replace")
        imports = any(line.startswith(("import ", "import\t")) for line in text.splitlines())
        found.append(PthFile(path.name, owners.get(path.name, Owner(UNRECORDED)), imports))
    return found


# Run by the target's interpreter (3.7 or later: PEP 552's hash-based pycs), in the tree, with
# the relative paths of the sources on stdin; prints what it wrote and what did not compile.
# ``dfile`` keeps the build folder's name out of the bytes (the importer sets the real path).
_COMPILE_SCRIPT = """\
import json, platform, py_compile, sys
info = getattr(sys, "implementation", None)  # Python 2 has none
name = info.name if info else platform.python_implementation().lower()
print(json.dumps({"implementation": name, "version": list(sys.version_info[:3])}))
sys.stdout.flush()
if sys.stdin.readline().strip() != "go":
    sys.exit(0)
done, failed = [], []
sources = json.load(sys.stdin)
every = max(1, len(sources) // 100)
for number, rel in enumerate(sources, 1):
    try:
        pyc = py_compile.compile(rel, dfile=rel, doraise=True, optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except Exception as error:
        failed.append([rel, str(error).strip().splitlines()[-1] if str(error).strip() else ""])
    else:
        done.append(pyc.replace("\\\\", "/"))
    if number % every == 0:
        print(number)
        sys.stdout.flush()
print(json.dumps({"done": done, "failed": failed}))
"""

# sys.implementation.name of the interpreters a target's implementation code names.
_IMPLEMENTATIONS = {"cp": "cpython", "pp": "pypy", "gp": "graalpy", "ip": "ironpython"}
_NAMES = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy", "ironpython": "IronPython"}


@dataclass(frozen=True)
class Compiled:
    """What ``--compile`` did: the interpreter (described), the pycs it wrote and their total
    size, and the sources that did not compile (each with the compiler's one-line reason)."""

    python: str
    pycs: tuple[str, ...]
    size: int
    failed: tuple[tuple[str, str], ...]


def compile_tree(
    root: Path,
    python: str,
    implementation: str,
    version: Sequence[int],
    on_progress: Callable[[str], None] | None = None,
) -> Compiled:
    """Compile every ``.py`` file under ``root`` (outside ``.dist-info``) with the interpreter
    ``python``, which must be the target's implementation and ``major.minor`` version, into
    unchecked-hash pycs, and add each pyc to the RECORD of the project its source belongs to.
    ``on_progress`` hears ``compiling: DONE/ALL files`` each time another hundredth is done
    (the interpreter says so on a line of its own as it goes).

    A source that does not compile (Python 2 syntax in a test file, a template) stays as it is
    and is reported. Raises :class:`CompileError` for another version or implementation, a
    target before Python 3.7, or an interpreter that does not run.
    """
    want = tuple(version[:2])
    if want < (3, 7):
        raise CompileError(
            f"--compile: the target is Python {want[0]}.{want[1]}; tagpip compiles only for "
            "Python 3.7 or later, whose unchecked-hash pycs (PEP 552) stay valid in a zip's "
            "fixed timestamps",
            hint="leave out --compile",
        )
    sources = [rel for rel in list_files(root) if rel.endswith(".py") and not _is_metadata(rel)]
    report = on_progress or (lambda _text: None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # frozenset constants are marshalled in hash order
    # stderr goes to a file, not a pipe: stdout is read as the child goes, and a second pipe
    # that nobody reads until the end could fill and block the child.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        try:
            process = subprocess.Popen(
                [python, "-S", "-W", "ignore", "-c", _COMPILE_SCRIPT],
                cwd=root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
            )
        except OSError as error:
            raise CompileError(f"--compile: cannot run {python}: {error.strerror}") from None
        try:
            return _compile(process, errors, root, python, want, implementation, sources, report)
        finally:
            if process.poll() is None:  # an error or Ctrl-C here: no interpreter left behind
                process.kill()
                process.wait()


def _compile(
    process: subprocess.Popen[str],
    errors: IO[str],
    root: Path,
    python: str,
    want: tuple[int, ...],
    implementation: str,
    sources: Sequence[str],
    report: Callable[[str], None],
) -> Compiled:
    """:func:`compile_tree` once the interpreter runs: check it is the target's, hand it the
    sources, follow its counts, and read what it did."""

    def last_error() -> str | None:
        errors.seek(0)
        return (errors.read().strip().splitlines() or [""])[-1] or None

    assert process.stdin is not None
    assert process.stdout is not None
    first = process.stdout.readline()
    try:
        facts = json.loads(first)
        name = str(facts["implementation"])
        found = tuple(int(part) for part in facts["version"])
    except (ValueError, KeyError, TypeError):
        process.kill()
        process.communicate()
        raise CompileError(
            f"--compile: {python} is not a Python interpreter tagpip can compile with "
            "(Python 3.7 or later)",
            hint=last_error(),
        ) from None
    described = f"Python {'.'.join(str(p) for p in found)} ({python})"
    expected = _IMPLEMENTATIONS.get(implementation, implementation)
    if found[:2] != want or name != expected:
        process.stdin.write("stop\n")
        process.communicate()
        what = f"{_NAMES.get(expected, expected)} {want[0]}.{want[1]}"
        full = ".".join(str(p) for p in found)
        raise CompileError(
            f"--compile: {python} is {_NAMES.get(name, name)} {full}, and the target is "
            f"{what}; tagpip refuses to compile with another version, whose bytecode the "
            "target would not use",
            hint=f"name a {what} interpreter with --compile-python, or leave out --compile",
        )
    report(f"compiling: 0/{len(sources)} files")
    with contextlib.suppress(BrokenPipeError):  # it died: said below, with its last words
        process.stdin.write("go\n" + json.dumps(sources) + "\n")
        process.stdin.close()
    out = ""
    for line in process.stdout:
        if line.strip().isdigit():
            report(f"compiling: {int(line)}/{len(sources)} files")
        else:
            out += line
    process.wait()
    try:
        result = json.loads(out)
        done = [str(rel) for rel in result["done"]]
        failed = tuple((str(rel), str(why)) for rel, why in result["failed"])
    except (ValueError, KeyError, TypeError):
        raise CompileError(
            f"--compile: {described} failed while compiling (exit {process.returncode})",
            hint=last_error(),
        ) from None
    size = _record_bytecode(root, done)
    return Compiled(described, tuple(sorted(done)), size, failed)


def _record_bytecode(root: Path, pycs: Sequence[str]) -> int:
    """Add the pycs to the RECORD of the project owning each one's source (a row with its
    sha256 and size, as pip writes), each RECORD written anew; returns their total size."""
    records: dict[str, str] = {}
    for record in sorted(root.glob("*.dist-info/RECORD")):
        rel_record = record.relative_to(root).as_posix()
        for row in _read_record(record):
            records[row[0]] = rel_record
    rows: dict[str, list[list[str]]] = {}
    total = 0
    for pyc in sorted(pycs):
        data = (root / pyc).read_bytes()
        total += len(data)
        source = _source_of(pyc)
        owner = records.get(source) if source else None
        if owner is None:
            continue  # the user's own file, or one no RECORD lists
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        rows.setdefault(owner, []).append([pyc, f"sha256={digest.decode()}", str(len(data))])
    for rel_record, new in rows.items():
        path = root / rel_record
        fresh = {row[0] for row in new}
        old = [row for row in _read_record(path) if row[0] not in fresh]
        own = [i for i, row in enumerate(old) if row[0] == rel_record]
        at = own[0] if own else len(old)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=",", quotechar='"', lineterminator="\n")
        writer.writerows([*old[:at], *new, *old[at:]])
        # A new file renamed over RECORD: in a tree hard-linked from the cache of unpacked
        # wheels, writing in place would change the cache's copy too.
        fs.write_bytes_atomically(
            path, out.getvalue().encode("utf-8"), temp_name=".RECORD.tagpip-tmp"
        )
    return total


def _read_record(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle) if row and row[0]]


def write_zip(
    root: Path,
    output: Path,
    when: tuple[int, int, int, int, int, int],
    prefix: str = "",
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the files under ``root`` (under ``prefix`` in the archive, ``python/`` for a
    layer) into the zip ``output`` (a temporary name: :func:`commit_zip` renames it into
    place) and return each file's compressed size, by its path under ``root``.
    ``on_progress`` hears ``zipping: DONE/ALL files`` each time another hundredth is done."""
    compressed: dict[str, int] = {}
    files = list_files(root)
    every = max(1, len(files) // 100)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, rel in enumerate(files):
            if on_progress is not None and number % every == 0:
                on_progress(f"zipping: {number}/{len(files)} files")
            path = root / rel
            mode = path.stat().st_mode
            info = zipfile.ZipInfo(prefix + rel, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            perms = 0o755 if mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | perms) << 16
            info.file_size = path.stat().st_size
            with open(path, "rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
        for info in archive.infolist():
            compressed[info.filename[len(prefix) :]] = info.compress_size
    return compressed


def temp_next_to(output: Path) -> Path:
    """A fresh temporary file name in ``output``'s folder (same file system: rename works)."""
    return fs.temp_file(output.parent, prefix=f".{output.name}.", suffix=".tmp")


def commit_zip(temp: Path, output: Path) -> None:
    """Move the finished zip into place in one rename (never a partial file at ``output``)."""
    fs.commit(temp, output, mode=0o644)


def commit_dir(tree: Path, output: Path) -> None:
    """Move the finished folder into place (``tree`` is in ``output``'s folder); an existing
    ``output`` must be empty: tagpip does not delete a folder of yours."""
    if output.exists():
        if not output.is_dir() or any(output.iterdir()):
            raise BundleError(
                f"{output} exists and is not an empty folder; tagpip refuses to replace it",
                hint="remove it first or name a new folder",
            )
        output.rmdir()
    os.replace(tree, output)


def sizes(
    root: Path,
    owners: Mapping[str, Owner],
    added: Iterable[str],
    dropped: Sequence[Dropped],
    compressed: Mapping[str, int] | None,
) -> list[Sizes]:
    """The size table: one row per project (and one for the user's files), largest first."""
    added_set = set(added)
    rows: dict[Owner, list[int]] = {}
    saved: dict[Owner, dict[str, int]] = {}
    for rel in list_files(root):
        owner = Owner(ADDED) if rel in added_set else owners.get(rel)
        if owner is None:
            source = _source_of(rel)
            if source is not None and source in added_set:
                owner = Owner(ADDED)
            else:
                owner = owners.get(source, Owner(UNRECORDED)) if source else Owner(UNRECORDED)
        row = rows.setdefault(owner, [0, 0, 0])
        row[0] += 1
        row[1] += _unzipped(root / rel)
        row[2] += (compressed or {}).get(rel, 0)
    for item in dropped:
        rows.setdefault(item.owner, [0, 0, 0])
        per = saved.setdefault(item.owner, {})
        per[item.option] = per.get(item.option, 0) + item.size
    table = [
        Sizes(owner, n, unzipped, zipped if compressed is not None else None, saved.get(owner, {}))
        for owner, (n, unzipped, zipped) in rows.items()
    ]
    table.sort(key=lambda row: (-row.unzipped, row.owner.name))
    return table


def _source_of(rel: str) -> str | None:
    """The source a compiled file was made from (``pkg/__pycache__/m.cpython-312.pyc``)."""
    folder, _, name = rel.rpartition("/")
    if not folder.endswith("__pycache__"):
        return None
    match = _PYC.match(name)
    if match is None:
        return None
    parent = folder[: -len("__pycache__")]
    return f"{parent}{match.group('stem')}.py"


def check_size(
    unzipped: int, zipped: int | None, limits: Limits, subject: str = "the bundle"
) -> None:
    """Raise :class:`TooLarge` when the bundle (or ``subject``, named in the message) is over
    a limit; ``zipped`` None for a folder, which has no zipped size."""
    if unzipped > limits.unzipped:
        raise TooLarge("unzipped", unzipped, limits.unzipped, limits, subject)
    if zipped is not None and zipped > limits.zipped:
        raise TooLarge("zipped", zipped, limits.zipped, limits, subject)


def unzipped_size(root: Path) -> int:
    """The bytes ``root`` holds as the limits count them (the sum of :func:`sizes`' unzipped
    column): every file under it, a symbolic link as the link itself. ``install --target``
    measures its folder with it, so install and bundle measure alike."""
    return sum(_unzipped(root / rel) for rel in list_files(root))


def _unzipped(path: Path) -> int:
    """One file's unzipped size: the one measure of :func:`sizes` and :func:`unzipped_size`."""
    return path.lstat().st_size
