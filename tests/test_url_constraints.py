"""``name @ URL`` lines in a constraints file, as pip 26 takes them (issue 16.4).

pip turns a URL constraint into a link restriction (``resolution/resolvelib/base.py``
``Constraint.links``): a requirement by name gets the linked file as its only candidate, a URL
requirement must name the same file, a project nothing requires is not added, and the wheel is
checked against the target only once the project is needed. Real pip 26 is the oracle where
both can run (pure wheels on the host).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.requirements.syntax import check_requirements_text


def _pip_version() -> tuple[int, ...]:
    from importlib.metadata import version

    try:
        return tuple(int(p) for p in version("pip").split(".")[:2])
    except Exception:
        return (0,)


needs_pip26 = pytest.mark.skipif(_pip_version() < (26, 0), reason="needs pip 26 as the oracle")
# pip 26.3 read --no-require-hashes in a file and honours a hashed constraint; the newest pip
# for Python 3.9 is 26.0, which does neither: these corners are 26.3's.
needs_pip263 = pytest.mark.skipif(_pip_version() < (26, 3), reason="needs pip 26.3 as the oracle")


@pytest.fixture
def world(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    index_server.add_wheel("app", "1.0", requires_dist=["helper"])
    index_server.add_wheel("helper", "1.0")
    index_server.add_wheel("helper", "2.0")
    index_server.add_wheel("native", "1.0", tags="cp39-cp39-win_amd64")
    monkeypatch.chdir(tmp_path)
    return index_server


def tagpip(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    dest = Path("wheels-tagpip")
    if dest.exists():
        shutil.rmtree(dest)
    status = main(["download", *args, "-d", str(dest), "--no-cache-dir"])
    err = capsys.readouterr().err
    return status, sorted(p.name for p in dest.iterdir()) if dest.exists() else [], err


def pip(args: list[str]) -> tuple[int, list[str]]:
    dest = Path("wheels-pip")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", *args, "-d", str(dest)],
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return done.returncode, sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def constraints(text: str) -> str:
    Path("c.txt").write_text(text)
    return "c.txt"


@needs_pip26
@pytest.mark.parametrize("wanted", ["helper", "app"], ids=["by-name", "as-a-dependency"])
def test_a_url_constraint_picks_that_wheel(
    world: IndexServer, wanted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    c = constraints(f"helper @ {world.file_url('helper-1.0-py3-none-any.whl')}\n")
    status, got, err = tagpip([wanted, "-i", world.url, "-c", c], capsys)
    assert (status, err) == (0, "")
    assert "helper-1.0-py3-none-any.whl" in got
    assert "helper-2.0-py3-none-any.whl" not in got
    assert pip([wanted, "-i", world.url, "-c", c]) == (0, got)


@needs_pip26
def test_a_url_constraint_adds_nothing(
    world: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    c = constraints(f"helper @ {world.file_url('helper-1.0-py3-none-any.whl')}\n")
    status, got, _ = tagpip(["native==1.0", "-i", world.url, "-c", c, "--platform", "win_amd64",
                             "--python-version", "3.9"], capsys)  # fmt: skip
    assert (status, got) == (0, ["native-1.0-cp39-cp39-win_amd64.whl"])


@needs_pip26
def test_a_url_requirement_must_be_the_constrained_wheel(
    world: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    c = constraints(f"helper @ {world.file_url('helper-1.0-py3-none-any.whl')}\n")
    line = f"helper @ {world.file_url('helper-2.0-py3-none-any.whl')}"
    status, got, err = tagpip([line, "-i", world.url, "-c", c], capsys)
    assert (status, got) == (1, [])
    assert (
        "(the constraint at c.txt:1 allows only helper-1.0-py3-none-any.whl, not "
        "helper-2.0-py3-none-any.whl)"
    ) in err
    assert "Traceback" not in err
    assert pip([line, "-i", world.url, "-c", c])[0] != 0
    same = f"helper @ {world.file_url('helper-1.0-py3-none-any.whl')}"
    status, got, _ = tagpip([same, "-i", world.url, "-c", c], capsys)
    assert (status, got) == (0, ["helper-1.0-py3-none-any.whl"])


def test_a_constrained_wheel_the_target_cannot_use(
    world: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    c = constraints(f"native @ {world.file_url('native-1.0-cp39-cp39-win_amd64.whl')}\n")
    target = ["--platform", "manylinux2014_x86_64", "--python-version", "3.9"]
    # Not needed: no effect, as in pip (which checks the wheel only for a needed project).
    status, got, _ = tagpip(["helper==2.0", "-i", world.url, "-c", c, *target], capsys)
    assert (status, got) == (0, ["helper-2.0-py3-none-any.whl"])
    # Needed: no candidate, a clean error naming the project.
    status, got, err = tagpip(["native", "-i", world.url, "-c", c, *target], capsys)
    assert (status, got) == (1, [])
    assert (
        "(the constraint at c.txt:1 allows only native-1.0-cp39-cp39-win_amd64.whl, which "
        "CPython 3.9 on manylinux2014 x86_64 cannot use)"
    ) in err
    assert "Traceback" not in err


def test_check_accepts_a_url_constraint_and_still_refuses_extras() -> None:
    ok = check_requirements_text("helper @ https://example.org/helper-1.0-py3-none-any.whl\n",
                                 constraint=True)  # fmt: skip
    assert ok.errors == ()
    bad = check_requirements_text("helper[x] @ https://example.org/helper-1.0-py3-none-any.whl\n",
                                  constraint=True)  # fmt: skip
    assert [d.message for d in bad.errors] == [
        "a constraint cannot have extras (pip refuses them too)"
    ]


@needs_pip26
def test_an_unnamed_constraint_is_a_wheel_url_as_pip_reads_it(
    world: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare wheel URL in a constraints file (issue 32.3): pip names it from the file name and
    honours it; so does tagpip."""
    c = constraints(f"{world.file_url('helper-1.0-py3-none-any.whl')}\n")
    status, got, err = tagpip(["app", "-i", world.url, "-c", c], capsys)
    assert (status, err) == (0, "")
    assert got == ["app-1.0-py3-none-any.whl", "helper-1.0-py3-none-any.whl"]
    assert pip(["app", "-i", world.url, "-c", c]) == (0, got)


@needs_pip263
@pytest.mark.parametrize("right", [True, False], ids=["right-hash", "wrong-hash"])
def test_a_constraint_with_a_hash_is_honoured_as_pip(
    world: IndexServer, right: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    wheel = next(p for p in world.projects()["helper"] if p.name == "helper-1.0-py3-none-any.whl")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest() if right else "0" * 64
    c = constraints(f"helper==1.0 --hash=sha256:{digest}\n")
    status, got, _ = tagpip(["helper", "-i", world.url, "-c", c], capsys)
    pip_status, pip_got = pip(["helper", "-i", world.url, "-c", c])
    assert (status == 0, got) == (pip_status == 0, pip_got)
    assert (status == 0) is right
