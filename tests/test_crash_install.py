"""``kill -9`` in the middle of an ``install --target --upgrade``, then the next run.

The installer journals its plan of moves in the target folder (fsynced) before the first one;
a run killed anywhere in between leaves that journal, and the next tagpip install into the
folder undoes it before doing anything else. The child here is a real ``python`` process that
runs the CLI with the commit's move function wrapped to SIGKILL the process itself after its
Nth move (or at the commit point, after the last move and before the journal is removed). After
the next run the folder must hold one whole version, the old or the new, that imports, with
nothing partial and no staging folder, journal or lock file left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

LINUX311 = ("--python-version", "3.11", "--platform", "manylinux2014_x86_64")

# The wrapper the child runs: the real CLI, with tagpip.install.journal._move counting.
KILLER = """
import os, signal, sys
import tagpip.install.journal as installing
after = int(os.environ["TAGPIP_TEST_KILL_AFTER"])
real = installing._move
count = [0]
def move(source, dest):
    if after == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    real(source, dest)
    count[0] += 1
    if count[0] == after:
        os.kill(os.getpid(), signal.SIGKILL)
installing._move = move
if after < 0:
    installing._forget_journal = lambda folder: os.kill(os.getpid(), signal.SIGKILL)
from tagpip.cli import main
sys.exit(main(sys.argv[1:]))
"""


def seed(server: IndexServer) -> None:
    server.add_wheel("app", "1.0", requires_dist=["helper>=1"])
    server.add_wheel(
        "helper",
        "1.0",
        extra_files={"helper/old.py": "OLD = True\n", "helper/sub/a.py": "A = 1\n"},
    )
    server.add_wheel("app", "2.0", requires_dist=["helper>=2"])
    server.add_wheel(
        "helper",
        "2.0",
        extra_files={"helper/new.py": "NEW = True\n", "helper/sub/a.py": "A = 2\n"},
    )


def args(server: IndexServer, dest: Path, *rest: str) -> list[str]:
    return ["install", "--target", str(dest), "-i", server.url, "--no-cache-dir", "-q", *rest]


def contents(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def imported_version(dest: Path) -> str:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app, helper; "
        "print(app.__version__, helper.__version__)"
    )
    # -B: importing writes no __pycache__ into the folder, whose bytes the test compares.
    out = subprocess.run(
        [sys.executable, "-B", "-c", code, str(dest)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def no_leftovers(root: Path) -> None:
    names = [p.name for p in root.rglob(".tagpip-*")]
    assert names == [], names


@pytest.mark.parametrize("after", [0, 1, 2, 3, 5, 8, 13, -1])
@pytest.mark.parametrize("next_run", ["same upgrade", "old set"])
def test_kill_9_during_an_upgrade_is_rolled_back_by_the_next_run(
    after: int,
    next_run: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert main(args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)) == 0
    old = contents(dest)
    assert imported_version(dest) == "1.0 1.0"

    env = dict(os.environ, TAGPIP_TEST_KILL_AFTER=str(after))
    child = subprocess.run(
        [sys.executable, "-c", KILLER, *args(index_server, dest, "app", "-U", *LINUX311)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if child.returncode == 0:
        # Fewer moves than ``after``: the upgrade finished before the kill.
        assert contents(dest) != old
    else:
        assert child.returncode == -signal.SIGKILL, child.stderr
    capsys.readouterr()

    if next_run == "same upgrade":
        assert main(args(index_server, dest, "app", "-U", *LINUX311)) == 0
        assert imported_version(dest) == "2.0 2.0"
        assert not (dest / "helper" / "old.py").exists()
        assert sorted(p.name for p in dest.glob("*.dist-info")) == [
            "app-2.0.dist-info",
            "helper-2.0.dist-info",
        ]
    else:
        status = main(args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311))
        if child.returncode == 0:
            assert status == 1  # the upgrade had finished: 2.0 is there and needs -U
            assert imported_version(dest) == "2.0 2.0"
        else:
            assert status == 0
            assert contents(dest) == old  # rolled back, byte for byte
            assert imported_version(dest) == "1.0 1.0"
    no_leftovers(tmp_path)


def test_the_rollback_is_said(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert main(args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)) == 0
    env = dict(os.environ, TAGPIP_TEST_KILL_AFTER="3")
    command = [sys.executable, "-c", KILLER, *args(index_server, dest, "app", "-U", *LINUX311)]
    child = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert (dest / ".tagpip-journal").is_file()
    capsys.readouterr()
    command = args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)
    command.remove("-q")
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert err == f"warning: an interrupted install into {dest} was rolled back\n"
    assert out == f"Already installed in {dest}: app-1.0 helper-1.0\n"


def test_a_journal_that_names_other_paths_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert main(args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    stage = tmp_path / ".tagpip-stage-x"
    plan = {"version": 1, "stage": str(stage), "created": False}
    plan["steps"] = [[str(victim), str(dest / "stolen")]]
    (dest / ".tagpip-journal").write_text(json.dumps(plan))
    capsys.readouterr()
    assert main(args(index_server, dest, "app==1.0", *LINUX311)) == 1
    err = capsys.readouterr().err
    assert "names paths outside" in err
    assert "Traceback" not in err
    assert victim.read_text() == "mine\n"


def test_a_missing_file_of_an_installed_project_is_repaired(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    assert main(args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)) == 0
    whole = contents(dest)
    (dest / "helper" / "sub" / "a.py").unlink()
    (dest / "helper-1.0.dist-info" / "WHEEL").unlink()
    capsys.readouterr()
    command = args(index_server, dest, "app==1.0", "helper==1.0", *LINUX311)
    command.remove("-q")
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert err == f"warning: helper-1.0 in {dest} is incomplete; installing it again\n"
    assert out.splitlines()[0] == f"Already installed in {dest}: app-1.0"
    assert out.splitlines()[-1] == "Successfully installed helper-1.0"
    assert contents(dest) == whole
    no_leftovers(tmp_path)
