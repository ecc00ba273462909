"""No secret on any command line: every process a run starts, and every process those start,
is recorded (tests/support/children.py) and none may hold a password or token in its argv, which
every local user can read (``ps``, ``/proc/PID/cmdline``). Credentials reach pip through a
private (0600) requirements file or the environment, as pip and uv keep them off command lines.

The commands that start processes: ``--backend pip`` (download and install), ``--from-python``
(the interpreter probe), builds from source (a build environment, its build requirements, the
backend) and ``git`` for a ``git+`` URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.children import ChildRecorder
from support.server import IndexServer
from tagpip.cli import main

TOKEN = "s3cr3t-T0ken-in-argv"
USER = "__token__"


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{TOKEN}@", 1)


PIP_BACKEND = ("--backend", "pip")


def download_to(tmp_path: Path) -> list[str]:
    """``download -d TMP/d --no-cache-dir -q``."""
    return ["download", "-d", str(tmp_path / "d"), "--no-cache-dir", "-q"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def recorder(tmp_path: Path) -> ChildRecorder:
    return ChildRecorder(tmp_path / "children")


def assert_no_secret(recorder: ChildRecorder, *, started: str) -> None:
    """Some process whose argv holds ``started`` was seen, and no argv holds the token."""
    seen = "\n".join(recorder.commands())
    assert started in seen, f"no process running {started!r} was recorded:\n{seen}"
    leaks = recorder.holding([TOKEN])
    assert leaks == [], "a secret on a command line:\n" + "\n".join(s.text for s in leaks)


def seed(server: IndexServer) -> None:
    server.add_wheel("app", "1.0", requires_dist=["helper>=1"])
    server.add_wheel("helper", "1.0")
    server.add_wheel("direct", "1.0")


# -- the recorder itself ---------------------------------------------------------------------------


def test_the_recorder_sees_children_and_grandchildren(
    recorder: ChildRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without this, a test below that finds no secret could be a test that sees nothing."""
    grandchild = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', 'pass', '{TOKEN}'])"
    )
    with recorder.recording(monkeypatch):
        subprocess.run([sys.executable, "-c", grandchild], check=True)
    leaks = recorder.holding([TOKEN])
    # The child's own argv (this process's hook and the child's sitecustomize) does not hold
    # the token as one word of its argv... but its -c source does; the grandchild's argv does.
    # Before Python 3.10 a process sees only sys.argv (["-c"]), not the source its -c gave.
    kinds = ["subprocess.Popen", "python", "subprocess.Popen", "python"]
    if sys.version_info < (3, 10):
        kinds.remove("python")
    # Python 3.13's subprocess also raises os.posix_spawn where it uses it: the same start.
    assert [s.kind for s in leaks if s.kind != "os.posix_spawn"] == kinds
    assert leaks[-1].argv[-1] == TOKEN
    assert leaks[-1].pid != 0


# -- the pip backend -------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["command line", "PIP_INDEX_URL"])
def test_the_pip_backend_puts_no_secret_on_any_command_line(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
    given: str,
) -> None:
    """Index, extra index, find-links and a direct URL with credentials, given on the command
    line or only in ``PIP_INDEX_URL`` (which pip reads from the environment itself)."""
    seed(index_server)
    index_server.auth = (USER, TOKEN)
    url = with_credentials(index_server.url)
    link = with_credentials(index_server.file_url("direct-1.0-py3-none-any.whl"))
    if given == "command line":
        indexes = [
            "-i",
            url,
            "--extra-index-url",
            url,
            "-f",
            with_credentials(index_server.links_url),
        ]
    else:
        monkeypatch.setenv("PIP_INDEX_URL", url)
        indexes = []
    dest = tmp_path / "d"
    with recorder.recording(monkeypatch):
        status, _, err = run(
            [*download_to(tmp_path), *indexes, *PIP_BACKEND, "app==1.0", f"direct @ {link}"],
            capsys,
        )
    assert status == 0, err
    assert sorted(p.name for p in dest.iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "direct-1.0-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
    ]
    assert TOKEN not in err
    assert_no_secret(recorder, started="-m pip download")


def test_install_with_the_pip_backend_puts_no_secret_on_any_command_line(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
) -> None:
    seed(index_server)
    index_server.auth = (USER, TOKEN)
    url = with_credentials(index_server.url)
    with recorder.recording(monkeypatch):
        status, _, err = run(
            ["install", "--target", str(tmp_path / "t"), "-i", url, "-q", *PIP_BACKEND, "app"],
            capsys,
        )
    assert status == 0, err
    assert (tmp_path / "t" / "app").is_dir() or any((tmp_path / "t").iterdir())
    assert_no_secret(recorder, started="-m pip download")


def test_printed_pip_commands_redact_and_say_how_credentials_reach_pip(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.auth = (USER, TOKEN)
    url = with_credentials(index_server.url)
    status, out, err = run(
        ["download", "-d", "w", "-i", url, "--no-cache-dir", "-q", "--print-pip", "app==1.0"],
        capsys,
    )
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert TOKEN not in out
    assert lines[0] == (
        "# **** stands for credentials, which go on no command line (every local user can read "
        "one): pip reads them from PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS (in "
        "place of those options), pip.conf or ~/.netrc, as tagpip --backend pip gives them "
        "through a private requirements file"
    )
    assert f"--index-url 'http://{USER}:****@127.0.0.1:" in lines[1]
    assert len(lines) == 2


# -- interpreters ----------------------------------------------------------------------------------


def test_the_interpreter_probe_puts_no_secret_on_its_command_line(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
) -> None:
    seed(index_server)
    index_server.auth = (USER, TOKEN)
    url = with_credentials(index_server.url)
    with recorder.recording(monkeypatch):
        status, _, err = run(
            [*download_to(tmp_path), "-i", url, "--from-python", sys.executable, "app==1.0"],
            capsys,
        )
    assert status == 0, err
    assert_no_secret(recorder, started=sys.executable)


# -- builds and git (src/tagpip/build.py) ----------------------------------------------------------


@pytest.mark.slow
def test_a_build_puts_no_secret_on_any_command_line(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
) -> None:
    from support.wheels import build_source_sdist
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    build_source_sdist(index_server.root, "sgml", "1.0")
    index_server.auth = (USER, TOKEN)
    url = with_credentials(index_server.url)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    with recorder.recording(monkeypatch):
        status, _, err = run(
            ["download", "-d", str(tmp_path / "d"), "-i", url, "--python-version", python, "sgml"],
            capsys,
        )
    assert status == 0, err
    assert_no_secret(recorder, started="venv")


def test_git_gets_no_secret_on_its_command_line(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
) -> None:
    """The clone fails (the index server is no git server); what matters is its argv, and
    that the failure's message shows no secret either."""
    if subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("git is not installed")
    repo = with_credentials(index_server.base_url + "/repo.git")
    with recorder.recording(monkeypatch):
        status, _, err = run(
            [*download_to(tmp_path), "--no-index", f"pkg @ git+{repo}"],
            capsys,
        )
    assert status == 1
    assert TOKEN not in err
    assert_no_secret(recorder, started="clone")


def test_git_credentials_reach_git_by_its_environment_only(
    index_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorder: ChildRecorder,
) -> None:
    """What build.py's git clone is to use (``tagpip.urls.git_credentials``): the URL without
    its credentials on git's command line, and the credentials through git's configuration from
    the environment, answered by a helper only for that host. The server (no git server: a 404
    after the credentials) must see them as Basic auth after its 401."""
    import base64
    import os

    from tagpip.urls import git_credentials

    if subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("git is not installed")
    index_server.auth = (USER, TOKEN)
    url, env = git_credentials(with_credentials(index_server.base_url + "/repo.git"))
    assert url == index_server.base_url + "/repo.git"
    monkeypatch.setenv("HOME", str(tmp_path))  # no user git configuration
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    with recorder.recording(monkeypatch):
        done = subprocess.run(
            ["git", "ls-remote", url],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode != 0  # no repository there
    assert TOKEN not in done.stdout + done.stderr
    basic = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    seen = [r.headers.get("authorization") for r in index_server.requests]
    assert seen[0] is None
    assert basic in seen
    assert_no_secret(recorder, started="ls-remote")
    assert not list(tmp_path.glob(".git-credentials"))


def test_an_error_that_shows_a_line_with_credentials_shows_them_as_stars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line under an error is the user's own, but a terminal or CI log is no place for its
    token: shown as ``****``, with the caret still under the right spot; so is a message that
    quotes the URL (here build.py's, for a direct link that is neither a wheel nor an sdist)."""
    requirements = tmp_path / "requirements.txt"
    url = f"https://{USER}:{TOKEN}@host.example/pkg-1.0-py3-none-any.whl"
    requirements.write_text(f"pkg @ {url} --hash=md5:00\n")
    status, out, _ = run(["check", str(requirements)], capsys)
    assert status == 1
    assert TOKEN not in out
    shown = f"    pkg @ https://{USER}:****@host.example/pkg-1.0-py3-none-any.whl --hash=md5:00"
    assert out.splitlines()[1:3] == [shown, " " * shown.index("md5:00") + "^" * 6]
    status, _, err = run(
        ["download", "-d", str(tmp_path / "d"), "--no-index", f"pkg @ {url}.exe"], capsys
    )
    assert status == 1
    assert TOKEN not in err
    assert f"pkg @ https://{USER}:****@host.example/" in err
