"""``--print-pip`` and ``--backend pip`` against a real index on 127.0.0.1, with REAL pip.

The oracle is tagpip's own download: for each target, the files real pip fetches with the
commands tagpip builds must be the files ``tagpip download`` fetches, byte for byte. The pip is
the dev environment's own (``python -m pip``, hermetic: no network beyond 127.0.0.1, no user
configuration: conftest clears ``PIP_*`` and sets ``PIP_CONFIG_FILE=os.devnull``); a newer pip
from pyenv is used too when present.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer, LoggedRequest, Reply
from tagpip.cli import main
from tagpip.cli.pipbackend import CREDENTIALS_NOTE

DOCS = Path(__file__).parent.parent / "docs" / "pip-backend.md"
PYENV_313 = Path(os.path.expanduser("~/.pyenv/versions/3.13.0/bin/python"))


@pytest.fixture(scope="session")
def pip_version() -> str:
    """The version of the real pip these tests run (it needs repeatable --platform: 20.3+)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    ).stdout
    version = out.split()[1]
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) >= (20, 3), f"pip {version} is too old for these tests"
    return version


def seed(server: IndexServer) -> None:
    """A world where picking the wrong file is easy: several targets' wheels per version, a
    pure fallback next to native wheels, build tags, markers and a patch-level Requires-Python."""
    server.add_wheel(
        "app",
        "1.0",
        requires_dist=[
            "helper>=1",
            'backport>=1; python_version < "3.8"',
            'winonly; sys_platform == "win32"',
        ],
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("backport", "1.5", requires_python=">=3.6")
    server.add_wheel("winonly", "1.0")
    for tags in (
        "cp36-cp36m-manylinux1_x86_64",
        "cp36-cp36m-manylinux2014_x86_64",
        "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp312-cp312-manylinux_2_28_aarch64",
        "cp311-cp311-win_amd64",
        "cp311-cp311-win32",
        "cp312-cp312-macosx_11_0_arm64",
        "cp312-cp312-macosx_10_9_x86_64",
        "py3-none-any",
    ):
        server.add_wheel("native", "3.2", tags=tags)
    for tags in (
        "cp37-abi3-manylinux2014_x86_64",
        "cp37-abi3-macosx_10_12_universal2",
        "cp37-abi3-win_amd64",
        "py3-none-any",
    ):
        server.add_wheel("stable", "1.0", tags=tags)
    # Pure for most targets, but with wheels a Linux x86_64 host would prefer: pip must not be
    # left to fill in the host's platform.
    for tags in ("py3-none-any", "cp311-cp311-manylinux2014_x86_64", "cp312-cp312-linux_x86_64"):
        server.add_wheel("purepick", "1.0", tags=tags)
    server.add_wheel("built", "1.0", build_tag="1")
    server.add_wheel("built", "1.0", build_tag="2")


def command(dest: str | Path, index_url: str, *args: str) -> list[str]:
    """``tagpip download -d DEST -i URL --no-cache-dir ARGS`` (the URL may carry credentials)."""
    return ["download", "-d", str(dest), "-i", index_url, "--no-cache-dir", *args]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


TARGETS = {
    "cp36-manylinux1": ["--platform", "manylinux1_x86_64", "--python-version", "3.6"],
    "cp312-manylinux_2_28": ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.12"],
    "cp312-manylinux_2_28-aarch64": [
        "--platform",
        "manylinux_2_28_aarch64",
        "--python-version",
        "3.12",
    ],
    "cp311-windows": ["--platform", "win_amd64", "--python-version", "3.11"],
    "cp312-macos-arm64": ["--platform", "macosx_11_0_arm64", "--python-version", "3.12"],
    "cp312-macos-x86_64": ["--platform", "macosx_12_0_x86_64", "--python-version", "3.12"],
}
# What tagpip says of the seeded set for a Python 3.6 target: helper 2.0 needs Python 3.8.
NOTE = "note: helper 1.0, not 2.0: 2.0 requires Python >=3.8\n"


def notes_for(target: str) -> str:
    return NOTE if target.startswith("cp36") else ""


REQUIREMENTS = ["app==1.0", "native==3.2", "stable", "built", "purepick"]


def both(
    server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    *backend: str,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Download with tagpip, then with the pip backend; return both folders' contents."""
    # -qq: no warnings either (one -q keeps them, as pip), so any output is an error's.
    common = ["-i", server.url, "--no-cache-dir", "-qq", *args]
    mine, theirs = tmp_path / "tagpip", tmp_path / "pip"
    status, _, err = run(["download", "-d", str(mine), *common], capsys)
    assert (status, err) == (0, "")
    status, _, err = run(["download", "-d", str(theirs), *common, *backend], capsys)
    assert (status, err) == (0, "")
    return contents(mine), contents(theirs)


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_real_pip_fetches_what_tagpip_fetches(
    target: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pip_version: str,
) -> None:
    seed(index_server)
    mine, theirs = both(
        index_server, tmp_path, capsys, [*TARGETS[target], *REQUIREMENTS], "--backend", "pip"
    )
    assert list(theirs) == list(mine), f"pip {pip_version}"
    assert theirs == mine, f"pip {pip_version}"
    assert any("native-3.2-" in name and not name.endswith("-any.whl") for name in mine)


@pytest.mark.slow
def test_tag_blocks_markers_and_a_patch_level_requires_python(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pip_version: str,
) -> None:
    seed(index_server)
    lines = ["app==1.0[manylinux1,cp36,x86_64]", "native==3.2[manylinux1,cp36,x86_64]"]
    mine, theirs = both(index_server, tmp_path, capsys, lines, "--backend", "pip")
    assert list(mine) == [
        "app-1.0-py3-none-any.whl",
        "backport-1.5-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
        "native-3.2-cp36-cp36m-manylinux1_x86_64.whl",
    ]
    assert theirs == mine, f"pip {pip_version}"


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_printed_commands_run_verbatim_with_real_pip(
    target: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pip_version: str,
) -> None:
    # The printed commands name the projects on the command line: no hash-checking file steers
    # pip to the right file, only the tag restriction does.
    seed(index_server)
    args = [*TARGETS[target], *REQUIREMENTS]
    status, out, err = run(
        [*command(tmp_path / "pip", index_server.url, *args), "--print-pip"], capsys
    )
    assert (status, err) == (0, notes_for(target))
    assert not (tmp_path / "pip").exists()
    for line in out.splitlines():
        argv = shlex.split(line)
        assert argv[:4] == ["python", "-m", "pip", "download"]
        result = subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"pip {pip_version}: {line}\n{result.stdout}{result.stderr}"
    status, _, _ = run([*command(tmp_path / "tagpip", index_server.url, *args), "-q"], capsys)
    assert status == 0
    assert contents(tmp_path / "pip") == contents(tmp_path / "tagpip"), f"pip {pip_version}"


@pytest.mark.slow
@pytest.mark.skipif(not PYENV_313.exists(), reason="no pyenv CPython 3.13 (a newer pip)")
def test_another_interpreters_pip_with_the_pip_option(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    version = subprocess.run(
        [str(PYENV_313), "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        pytest.skip("the pyenv CPython 3.13 has no pip")
    mine, theirs = both(
        index_server,
        tmp_path,
        capsys,
        [*TARGETS["cp36-manylinux1"], *REQUIREMENTS],
        "--backend",
        "pip",
        "--pip",
        str(PYENV_313),
    )
    assert theirs == mine, version.stdout


@pytest.mark.slow
def test_verbose_echoes_each_command_and_streams_pip(
    index_server: IndexServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "w"
    try:
        status = main(
            command(
                str(dest),
                index_server.url,
                "-v",
                "--backend",
                "pip",
                *TARGETS["cp311-windows"],
                "native==3.2",
            )
        )
    finally:
        # -v attaches a log handler to this test's captured stderr; leave none behind.
        for handler in list(logging.getLogger("tagpip").handlers):
            logging.getLogger("tagpip").removeHandler(handler)
    out, _ = capfd.readouterr()
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"Running: {sys.executable} -m pip download --no-deps --only-binary=:all: "
        "--platform win_amd64 --python-version 3.11 --implementation cp --abi cp311 "
        f"--index-url {index_server.url} --no-cache-dir -d {dest} native==3.2"
    )
    assert "Successfully downloaded native" in lines  # pip's own line
    assert lines[-2:] == [
        f"Saved {dest / 'native-3.2-cp311-cp311-win_amd64.whl'}",
        "Successfully downloaded native",
    ]


@pytest.mark.slow
def test_the_environment_cannot_widen_the_restriction(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    # pip would append these to the command line's values and could then pick native's
    # py3-none-any or win32 wheel; tagpip's own configuration does not read them either.
    monkeypatch.setenv("PIP_PLATFORM", "win32 any")
    monkeypatch.setenv("PIP_ABI", "none")
    mine, theirs = both(
        index_server, tmp_path, capsys, [*TARGETS["cp311-windows"], "native"], "--backend", "pip"
    )
    assert list(theirs) == ["native-3.2-cp311-cp311-win_amd64.whl"]
    assert theirs == mine
    # And under one -q tagpip says it ignores them.
    status, _, err = run(
        [
            "download",
            "-d",
            str(tmp_path / "again"),
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
            *TARGETS["cp311-windows"],
            "native",
        ],
        capsys,
    )
    assert status == 0
    assert "pip's configuration sets platform (environment variable PIP_PLATFORM)" in err


def _only_for_pip(server: IndexServer, filename: str, reply: Reply) -> None:
    """Answer pip's requests for the file with ``reply`` (tagpip itself reads only metadata)."""

    def override(request: LoggedRequest) -> Reply | None:
        return reply if "pip/" in request.headers.get("user-agent", "") else None

    server.overrides[f"/files/{filename}"] = override


def test_pip_failure_names_the_command(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    _only_for_pip(index_server, "helper-1.0-py3-none-any.whl", Reply(404, b"gone"))
    url = index_server.url.replace("http://", "http://user:secret@")
    dest = tmp_path / "w"
    status, out, err = run(
        command(str(dest), url, "--backend", "pip", *TARGETS["cp36-manylinux1"], "helper==1.0"),
        capsys,
    )
    assert (status, out) == (1, "")
    lines = err.splitlines()
    assert lines[:2] == [
        "error: pip failed (exit status 1) running:",
        f"  {sys.executable} -m pip download --no-deps --only-binary=:all: --platform any "
        "--python-version 3.6 --implementation cp --abi none "
        f"--index-url {shlex.quote(url.replace(':secret@', ':****@'))} --no-cache-dir -d {dest} "
        "helper==1.0",
    ]
    assert "pip said:" in lines
    assert "404" in err
    assert "secret" not in err
    assert lines[-1].startswith("hint: run the command above yourself")


def test_pip_hash_checking_refuses_a_changed_file(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    changed = (index_server.root / "built-1.0-1-py3-none-any.whl").read_bytes()
    _only_for_pip(index_server, "built-1.0-2-py3-none-any.whl", Reply(200, changed))
    dest = tmp_path / "w"
    status, _, err = run(
        command(
            str(dest), index_server.url, "--backend", "pip", *TARGETS["cp36-manylinux1"], "built"
        ),
        capsys,
    )
    assert status == 1
    assert err.startswith("error: pip failed (exit status 1) running:")
    assert "HASHES" in err  # pip's own words: THESE PACKAGES DO NOT MATCH THE HASHES ...
    assert not (dest / "built-1.0-2-py3-none-any.whl").exists()


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    """An "interpreter" whose pip writes a wrong pinned file and a file nobody asked for."""
    script = tmp_path / "fake-python"
    script.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do [ "$1" = "-d" ] && dest="$2"; shift; done\n'
        'mkdir -p "$dest"\n'
        'echo junk > "$dest/helper-1.0-py3-none-any.whl"\n'
        'echo junk > "$dest/surprise-1.0-py3-none-any.whl"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.skipif(sys.platform == "win32", reason="the fake interpreter is a shell script")
def test_what_pip_got_wrong_is_listed(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_python: Path,
) -> None:
    seed(index_server)
    dest = tmp_path / "w"
    dest.mkdir()
    (dest / "unrelated.txt").write_text("was here before\n")
    status, _, err = run(
        command(
            str(dest),
            index_server.url,
            "--backend",
            "pip",
            "--pip",
            str(fake_python),
            *TARGETS["cp36-manylinux1"],
            "app",
        ),
        capsys,
    )
    assert status == 1
    sha = re.search(r"its link says (sha256:[0-9a-f]{64})", err)
    assert sha is not None
    assert err.splitlines()[:6] == [
        NOTE.rstrip("\n"),
        "error: the files pip fetched differ from the resolved set:",
        "  app-1.0-py3-none-any.whl: missing",
        "  backport-1.5-py3-none-any.whl: missing",
        f"  helper-1.0-py3-none-any.whl: wrong hash (its link says {sha.group(1)}, the file is "
        f"sha256:{hashlib.sha256(b'junk' + bytes([10])).hexdigest()})",
        "  surprise-1.0-py3-none-any.whl: not in the resolved set",
    ]


def test_a_missing_interpreter_is_a_clear_error(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = run(
        command(
            str(tmp_path / "w"),
            index_server.url,
            "--backend",
            "pip",
            "--pip",
            str(tmp_path / "nope"),
            *TARGETS["cp36-manylinux1"],
            "helper",
        ),
        capsys,
    )
    assert status == 1
    assert err.startswith(NOTE + f"error: cannot run {tmp_path / 'nope'} -m pip: ")
    assert "Traceback" not in err


def test_print_pip_redacts_credentials_and_downloads_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    url = index_server.url.replace("http://", "http://__token__:s3cr3t@")
    status, out, err = run(
        command(
            "wheels",
            url,
            "--extra-index-url",
            url,
            "--print-pip",
            "-q",
            "--isolated",
            *TARGETS["cp311-windows"],
            "app==1.0",
        ),
        capsys,
    )
    assert (status, err) == (0, "")
    shown = shlex.quote(url.replace(":s3cr3t@", ":****@"))
    assert out.splitlines() == [
        CREDENTIALS_NOTE,
        "python -m pip download --no-deps --only-binary=:all: --platform any --python-version "
        f"3.11 --implementation cp --abi none --index-url {shown} --extra-index-url {shown} "
        "--no-cache-dir --isolated -d wheels app==1.0 helper==2.0 winonly==1.0",
    ]
    assert not (tmp_path / "wheels").exists()


def _docs_example() -> tuple[list[str], list[str]]:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", text, re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines[0].startswith("$ tagpip ")
    return shlex.split(lines[0][len("$ tagpip ") :]), lines[1:]


@pytest.mark.slow
def test_docs_example(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pip_version: str,
) -> None:
    index_server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    index_server.add_wheel("helper", "1.0")
    index_server.add_wheel("helper", "2.0", requires_python=">=3.8")
    index_server.add_wheel("backport", "1.5")
    index_server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    index_server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux2014_x86_64")
    index_server.add_wheel("native", "3.2", tags="cp312-cp312-manylinux_2_17_x86_64")
    documented = "http://127.0.0.1:8000/simple/"
    args, expected = _docs_example()
    monkeypatch.chdir(tmp_path)
    status, out, err = run([a.replace(documented, index_server.url) for a in args], capsys)
    assert (status, err) == (0, NOTE)
    # The docs show stderr's note line too, where the user sees it.
    assert [line for line in expected if line.startswith("note: ")] == [NOTE.rstrip("\n")]
    printed = [line for line in expected if not line.startswith("note: ")]
    assert out.splitlines() == [line.replace(documented, index_server.url) for line in printed]
    # Real pip runs what is printed, and gets what tagpip itself downloads.
    for line in out.splitlines():
        argv = shlex.split(line)
        subprocess.run([sys.executable, *argv[1:]], capture_output=True, check=True)
    own = [a.replace(documented, index_server.url) for a in args if a != "--print-pip"]
    own[own.index("-d") + 1] = "mine"
    status, _, _ = run([*own, "-q"], capsys)
    assert status == 0
    assert contents(tmp_path / "wheels") == contents(tmp_path / "mine"), f"pip {pip_version}"
    assert len(contents(tmp_path / "mine")) == 4


# --- install: --print-pip prints pip install --target; --backend pip has pip download ----------


def tree_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def install_command(target_dir: Path, index_url: str, *args: str) -> list[str]:
    return ["install", "--target", str(target_dir), "-i", index_url, "--no-cache-dir", *args]


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cp36-manylinux1", "cp311-windows"])
def test_install_print_pip_runs_with_real_pip(
    target: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pip_version: str,
) -> None:
    seed(index_server)
    args = [*TARGETS[target], "app==1.0", "native==3.2", "stable"]
    by_pip, by_tagpip = tmp_path / "pip", tmp_path / "tagpip"
    status, out, err = run(
        [*install_command(by_pip, index_server.url, *args), "--print-pip"], capsys
    )
    assert (status, err) == (0, notes_for(target))
    assert not by_pip.exists()
    lines = out.splitlines()
    assert len(lines) > 1  # pure and native wheels: several invocations into one folder
    for line in lines:
        argv = shlex.split(line)
        assert argv[:7] == [
            "python",
            "-m",
            "pip",
            "install",
            "--target",
            str(by_pip),
            "--no-deps",
        ]
        assert "--only-binary=:all:" in argv
        assert "--no-compile" in argv
        result = subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"pip {pip_version}: {line}\n{result.stdout}{result.stderr}"
    status, _, _ = run([*install_command(by_tagpip, index_server.url, *args), "-q"], capsys)
    assert status == 0

    def installed(folder: Path) -> dict[str, str]:
        return {
            p.name: "\n".join(
                line for line in (p / "WHEEL").read_text().splitlines() if line.startswith("Tag:")
            )
            for p in folder.glob("*.dist-info")
        }

    # pip installed the same projects, from the same wheels (their WHEEL tags), as tagpip.
    assert installed(by_pip) == installed(by_tagpip), f"pip {pip_version}"
    assert not list(by_pip.rglob("*.pyc"))


@pytest.mark.slow
def test_install_backend_pip_installs_what_tagpip_installs(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pip_version: str,
) -> None:
    seed(index_server)
    # Not "built": its test wheels have a build tag but no Build line in WHEEL, which a second
    # install reads as other tags (a wheel-builder artefact, the same with either backend).
    requirements = [r for r in REQUIREMENTS if r != "built"]
    args = [*TARGETS["cp36-manylinux1"], *requirements]
    by_pip, by_tagpip = tmp_path / "pip", tmp_path / "tagpip"
    status, out, err = run(
        [*install_command(by_pip, index_server.url, *args), "--backend", "pip"], capsys
    )
    assert (status, err) == (0, NOTE)
    assert out.startswith("Successfully installed app-1.0 ")
    status, _, err = run([*install_command(by_tagpip, index_server.url, *args), "-q"], capsys)
    assert (status, err) == (0, "")
    assert tree_of(by_pip) == tree_of(by_tagpip), f"pip {pip_version}"
    # Installing again changes nothing, with either backend.
    status, out, _ = run(
        [*install_command(by_pip, index_server.url, *args), "--backend", "pip"], capsys
    )
    assert status == 0
    assert out.startswith(f"Already installed in {by_pip}: ")


@pytest.mark.slow
def test_install_from_a_lock_with_the_pip_backend(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pip_version: str,
) -> None:
    seed(index_server)
    monkeypatch.chdir(tmp_path)
    index = ["-i", index_server.url, "--no-cache-dir"]
    status, _, _ = run(
        ["lock", "-o", "lock.txt", "-q", *index, *TARGETS["cp311-windows"], "app", "native"],
        capsys,
    )
    assert status == 0
    status, out, _ = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index, "--print-pip"], capsys
    )
    assert status == 0
    assert all(
        "--platform win_amd64" in line or "--platform any" in line for line in out.splitlines()
    )
    status, _, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index, "--backend", "pip", "-q"],
        capsys,
    )
    assert (status, err) == (0, ""), f"pip {pip_version}"
    assert sorted(p.name for p in (tmp_path / "deps").glob("*.dist-info")) == [
        "app-1.0.dist-info",
        "helper-2.0.dist-info",
        "native-3.2.dist-info",
        "winonly-1.0.dist-info",
    ]


@pytest.mark.parametrize("isolated", [False, True], ids=["configured", "isolated"])
def test_credentials_never_reach_the_pip_command_line(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated: bool
) -> None:
    """The argv of the real pip subprocess (readable by every local user) holds no secret: the
    index URLs with credentials and a direct URL's credentials reach pip through a private
    (0600) requirements file, and pip fetches with them."""
    seed(index_server)
    index_server.auth = ("__token__", "s3cr3t-T0ken")
    url = index_server.url.replace("http://", "http://__token__:s3cr3t-T0ken@")
    link = index_server.file_url("winonly-1.0-py3-none-any.whl").replace(
        "http://", "http://__token__:s3cr3t-T0ken@"
    )
    record = tmp_path / "argv.log"
    shim = tmp_path / "python-shim"
    # Records its argv and the mode of the requirements file pip is given, then runs pip.
    shim.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> "{record}"\n'
        'prev=""; for a in "$@"; do\n'
        f'  if [ "$prev" = "-r" ]; then stat -c "mode %a" "$a" >> "{record}"; fi; prev="$a"\n'
        "done\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)
    dest = tmp_path / "wheels"
    status, _, err = run(
        command(dest, url, "--extra-index-url", url, "--backend", "pip", "--pip", str(shim),
                *(["--isolated"] if isolated else []), *TARGETS["cp311-windows"], "-q",
                "app==1.0", f"winonly @ {link}"),
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert sorted(p.name for p in dest.iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-2.0-py3-none-any.whl",
        "winonly-1.0-py3-none-any.whl",
    ]
    logged = record.read_text()
    assert "-m pip download" in logged
    assert "s3cr3t" not in logged
    assert "mode 600" in logged
    assert all(r.status != 401 for r in index_server.requests)
