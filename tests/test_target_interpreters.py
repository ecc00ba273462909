"""Real interpreters as oracles: tagpip's tags for CPython 3.6 to 3.13 equal each interpreter's own
``packaging.tags.sys_tags()``.

The pyenv interpreters on this machine do not have packaging installed, so each is run with a
packaging that supports it put first on ``sys.path`` (isolated mode, no site): the newest found on
this machine without the network, namely packaging 21.3 (vendored by pip in the 3.7 install) for
3.6 and 3.7, 24.1 (vendored by pip in the 3.13 install) for 3.8, a 26.x wheel for 3.9 when one is
available, and the packaging tagpip runs with for 3.10 and later.

Two intentional differences, both changes packaging made since: packaging 26.3 moved an
interpreter's native ``linux_<arch>`` tag from last to first among its platforms, and packaging 22.0
added ``cpXY-none-any`` before ``pyXY-none-any``. tagpip follows the packaging it runs with, so an
older oracle's list is compared after applying those two changes to it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import packaging
import pytest

from tagpip.cli import main
from tagpip.target import target_from_python

MINORS = range(6, 14)
# The newest packaging that supports each interpreter, of those found on this machine.
_ORACLE_SCRIPT = (
    "import sys; sys.path.insert(0, sys.argv[1]); import packaging; from packaging import tags; "
    "print(packaging.__version__); print('\\n'.join(map(str, tags.sys_tags())))"
)


def _pyenv_root() -> Path | None:
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
    except OSError:
        out = None
    if out is not None and out.returncode == 0 and out.stdout.strip():
        return Path(out.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _interpreter(minor: int) -> Path | None:
    root = _pyenv_root()
    if root is None:
        return None
    found = sorted((root / "versions").glob(f"3.{minor}.*/bin/python"))
    found = [p for p in found if p.parent.parent.name.replace(".", "").isdigit()]
    return found[-1] if found else None


def _vendored(minor: int) -> Path | None:
    """pip's vendored packaging inside the pyenv CPython 3.<minor>, as an importable root."""
    python = _interpreter(minor)
    if python is None:
        return None
    found = sorted(python.parent.parent.glob("lib/python3.*/site-packages/pip/_vendor/packaging"))
    return found[0] if found else None


def _as_root(package_dir: Path, tmp: Path, name: str) -> str:
    """A directory holding only ``packaging`` (a link to ``package_dir``), for sys.path."""
    root = tmp / name
    if not root.exists():
        root.mkdir()
        (root / "packaging").symlink_to(package_dir, target_is_directory=True)
    return str(root)


def _oracle_path(minor: int, tmp: Path) -> str | None:
    if minor >= 10:
        return _as_root(Path(packaging.__file__).parent, tmp, "host")
    if minor == 9:
        wheels = sorted(Path("/opt/pypi/files").glob("packaging-26.*-py3-none-any.whl"))
        if wheels:
            return str(wheels[-1])
    source = _vendored(13) if minor >= 8 else _vendored(7)
    return _as_root(source, tmp, f"vendored-{minor}") if source else None


def _linux_first(tags: list[str]) -> list[str]:
    """An old packaging's list in packaging >= 26.3 order: within each run of equal
    (interpreter, ABI), the linux_* platforms come first."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        out.extend([t for t in run if t.split("-")[2].startswith("linux_")])
        out.extend([t for t in run if not t.split("-")[2].startswith("linux_")])
        run.clear()

    for tag in tags:
        if run and tag.split("-")[:2] != run[-1].split("-")[:2]:
            flush()
        run.append(tag)
    flush()
    return out


@pytest.fixture(scope="module")
def oracle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oracle-packaging")


def _oracle(minor: int, tmp: Path) -> tuple[Path, list[str]]:
    python = _interpreter(minor)
    if python is None:
        pytest.skip(f"no CPython 3.{minor} from pyenv on this machine")
    path = _oracle_path(minor, tmp)
    if path is None:
        pytest.skip(f"no packaging that supports CPython 3.{minor} on this machine")
    result = subprocess.run(
        [str(python), "-I", "-S", "-c", _ORACLE_SCRIPT, path],
        capture_output=True,
        text=True,
        check=True,
    )
    version, *tags = result.stdout.split()
    release = tuple(int(p) for p in version.split(".")[:2])
    if release < (26, 3):
        tags = _linux_first(tags)
    if release < (22, 0):
        # packaging 22.0 added the interpreter's own cpXY-none-any before pyXY-none-any.
        tags.insert(tags.index(f"py3{minor}-none-any"), f"cp3{minor}-none-any")
    return python, tags


def _tags_output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["tags", *argv]) == 0
    return capsys.readouterr().out.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux oracles")
@pytest.mark.parametrize("minor", MINORS, ids=[f"3.{m}" for m in MINORS])
def test_from_python_equals_sys_tags(
    minor: int, oracle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, expected = _oracle(minor, oracle_dir)
    assert _tags_output(["--from-python", str(python)], capsys) == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux oracles")
@pytest.mark.parametrize("minor", MINORS, ids=[f"3.{m}" for m in MINORS])
def test_flags_equal_sys_tags(
    minor: int, oracle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python, expected = _oracle(minor, oracle_dir)
    real = target_from_python(python)
    glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    glibc_minor = glibc.split()[-1].split(".")[1]
    argv = ["--python-version", f"3.{minor}", "--platform", "linux_x86_64"]
    argv += ["--platform", f"manylinux_2_{glibc_minor}_x86_64"]
    for abi in real.abis:
        argv += ["--abi", abi]
    assert _tags_output(argv, capsys) == expected


@pytest.mark.parametrize("minor", MINORS, ids=[f"3.{m}" for m in MINORS])
def test_from_python_markers(minor: int) -> None:
    python = _interpreter(minor)
    if python is None:
        pytest.skip(f"no CPython 3.{minor} from pyenv on this machine")
    target = target_from_python(python)
    env = target.marker_environment
    full = python.parent.parent.name
    assert env["python_full_version"] == full
    assert env["python_version"] == f"3.{minor}"
    assert env["implementation_name"] == "cpython"
    assert target.python_version == tuple(int(p) for p in full.split("."))
    assert target.abis == ((f"cp3{minor}m",) if minor < 8 else (f"cp3{minor}",))


def test_linux_first_reorders_runs() -> None:
    assert _linux_first(
        ["cp36-cp36m-manylinux1_x86_64", "cp36-cp36m-linux_x86_64", "cp36-none-manylinux1_x86_64",
         "cp36-none-linux_x86_64", "py3-none-any"]
    ) == [
        "cp36-cp36m-linux_x86_64", "cp36-cp36m-manylinux1_x86_64", "cp36-none-linux_x86_64",
        "cp36-none-manylinux1_x86_64", "py3-none-any",
    ]  # fmt: skip


def test_from_python_failure_is_a_target_error(tmp_path: Path) -> None:
    from tagpip.target.value import TargetError

    with pytest.raises(TargetError, match="cannot run the interpreter"):
        target_from_python(tmp_path / "no-such-python")
