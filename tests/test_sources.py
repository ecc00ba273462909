"""Source requirements pip users write, built through tagpip.build.builder for the target: a local
project folder (``./mypkg``), a local sdist archive (``./dist/x-1.0.tar.gz``) and VCS URLs
(``name @ git+file://...``, a real git repository made by the test). Pure ones arrive as wheels;
compiled ones and failing builds are refused by name, with exit status 1 and no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_source_sdist
from tagpip.cli import main
from test_build import NOT_PURE, serve_setuptools

pytestmark = pytest.mark.slow

TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]


@pytest.fixture
def index(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    """The test index serving setuptools; the working directory is ``tmp_path``."""
    serve_setuptools(index_server)
    monkeypatch.chdir(tmp_path)
    return index_server


def run(index: IndexServer, tmp_path: Path, *args: str) -> int:
    return main(
        [*args, "-i", index.url, *TARGET, "--cache-dir", str(tmp_path / "cache"), "--retries", "0"]
    )


def project(folder: Path, name: str, version: str, *, setup_py: str | None = None) -> Path:
    """A setuptools project folder with one module ``NAME.py`` saying ``VALUE``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'\n[project]\nname = "{name}"\nversion = "{version}"\n'
        f'\n[tool.setuptools]\npy-modules = ["{name}"]\n'
    )
    (folder / f"{name}.py").write_text(f"VALUE = {f'{name} {version}'!r}\n")
    if setup_py is not None:
        (folder / "setup.py").write_text(setup_py)
    return folder


def git(repo: Path, *args: str) -> str:
    environ = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=environ, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository: 1.0 tagged v1.0, then a commit making it 2.0."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    folder = project(tmp_path / "repo", "vcspkg", "1.0")
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "1.0")
    git(folder, "tag", "v1.0")
    project(folder, "vcspkg", "2.0")
    git(folder, "commit", "-q", "-am", "2.0")
    return folder


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_local_project_folder_is_built_into_a_wheel(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project(tmp_path / "mypkg", "mypkg", "1.0")
    assert run(index, tmp_path, "download", "./mypkg", "-d", "w") == 0
    err = capsys.readouterr().err
    assert f"building mypkg from the folder {folder} on " in err
    assert names(tmp_path / "w") == ["mypkg-1.0-py3-none-any.whl"]


def test_a_local_sdist_archive_is_built_and_cached_by_its_sha256(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdist = build_source_sdist(tmp_path / "dist", "sgmlpure", "1.0")
    assert run(index, tmp_path, "download", "./dist/sgmlpure-1.0.tar.gz", "-d", "w") == 0
    assert f"building sgmlpure from the sdist {sdist} on " in capsys.readouterr().err
    assert names(tmp_path / "w") == ["sgmlpure-1.0-py3-none-any.whl"]
    shutil.rmtree(tmp_path / "w")
    assert run(index, tmp_path, "download", "./dist/sgmlpure-1.0.tar.gz", "-d", "w") == 0
    assert "building" not in capsys.readouterr().err
    assert names(tmp_path / "w") == ["sgmlpure-1.0-py3-none-any.whl"]


def test_a_vcs_url_is_cloned_at_its_reference_and_built(
    index: IndexServer, tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tagged = git(repo, "rev-parse", "v1.0")
    url = f"git+{repo.as_uri()}@v1.0"
    assert run(index, tmp_path, "download", f"vcspkg @ {url}", "-d", "w") == 0
    assert f"building vcspkg from {url} at commit {tagged} on " in capsys.readouterr().err
    assert names(tmp_path / "w") == ["vcspkg-1.0-py3-none-any.whl"]
    # Without a reference: the default branch's head.
    deps = tmp_path / "deps"
    line = f"vcspkg @ git+{repo.as_uri()}"
    assert run(index, tmp_path, "install", line, "--target", str(deps)) == 0
    assert (deps / "vcspkg.py").read_text() == "VALUE = 'vcspkg 2.0'\n"


def test_a_folder_that_is_not_pure_is_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path / "speedy", "speedy", "2.0", setup_py=NOT_PURE)
    assert run(index, tmp_path, "download", "./speedy", "-d", "w") == 1
    err = capsys.readouterr().err
    assert "speedy 2.0 needs compiling for CPython 3.11 on manylinux2014 x86_64: the folder" in err
    assert "Root-Is-Purelib is not true" in err
    assert "Traceback" not in err
    assert not (tmp_path / "w").exists() or names(tmp_path / "w") == []


def test_a_failing_vcs_build_shows_the_backends_last_lines(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    folder = project(
        tmp_path / "broken", "broken", "1.0", setup_py="raise SystemExit('no way to build it')\n"
    )
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "broken")
    url = f"git+{folder.as_uri()}"
    assert run(index, tmp_path, "download", f"broken @ {url}", "-d", "w") == 1
    err = capsys.readouterr().err
    assert f"building broken from {url} at commit " in err
    assert "failed: the build backend failed" in err
    assert "no way to build it" in err
    assert "Traceback (most recent call last)" not in err.split("failed", 1)[0]


def test_a_missing_vcs_reference_is_a_clear_error(
    index: IndexServer, tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"git+{repo.as_uri()}@no-such-tag"
    assert run(index, tmp_path, "download", f"vcspkg @ {url}", "-d", "w") == 1
    err = capsys.readouterr().err
    assert f"vcspkg @ {url}: git checkout failed" in err
    assert "Traceback" not in err


def test_the_project_a_source_builds_must_be_the_one_named(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project(tmp_path / "mypkg", "mypkg", "1.0")
    assert run(index, tmp_path, "download", f"other @ {folder.as_uri()}", "-d", "w") == 1
    assert "the source builds mypkg, not other; tagpip refused it" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--no-build"], ["--only-binary", ":all:"]])
def test_building_forbidden_refuses_a_source_by_name(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    folder = project(tmp_path / "mypkg", "mypkg", "1.0")
    assert run(index, tmp_path, "download", "./mypkg", "-d", "w", *flags) == 1
    err = capsys.readouterr().err
    assert f"mypkg @ {folder.as_uri()} needs building from source" in err
    assert "tagpip refused it" in err


def test_lock_refuses_vcs_and_folder_sources_by_name(
    index: IndexServer, tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = git(repo, "rev-parse", "HEAD")
    url = f"git+{repo.as_uri()}"
    assert run(index, tmp_path, "lock", f"vcspkg @ {url}", "-o", "r.lock") == 1
    err = capsys.readouterr().err
    assert (
        f"vcspkg comes from a VCS URL ({url} (commit {commit})): tagpip does not lock folders "
        "or VCS sources yet, because the lock could not rebuild and verify it elsewhere; tagpip "
        "refused it"
    ) in err
    assert not (tmp_path / "r.lock").exists()
    project(tmp_path / "mypkg", "mypkg", "1.0")
    assert run(index, tmp_path, "lock", "./mypkg", "-o", "r.lock") == 1
    assert "mypkg comes from a local folder" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["lock.txt", "pylock.toml"])
def test_a_local_sdist_is_locked_by_path_and_sha256_and_rebuilt_from_the_lock(
    index: IndexServer, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    sdist = build_source_sdist(tmp_path / "dist", "sgmlpure", "1.0")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert run(index, tmp_path, "lock", "./dist/sgmlpure-1.0.tar.gz", "-o", name) == 0
    text = (tmp_path / name).read_text()
    assert digest in text
    assert "sgmlpure-1.0.tar.gz" in text
    assert "py3-none-any.whl" not in text
    # Re-locking is byte-identical.
    assert run(index, tmp_path, "lock", "./dist/sgmlpure-1.0.tar.gz", "-o", name) == 0
    assert (tmp_path / name).read_text() == text
    capsys.readouterr()
    assert (
        main(
            [
                "install",
                "-r",
                name,
                *(TARGET if name == "pylock.toml" else []),
                "-i",
                index.url,
                "--target",
                "deps",
                "--require-hashes",
                "--cache-dir",
                str(tmp_path / "cold"),
                "--retries",
                "0",
            ]
        )
        == 0
    )
    assert "building sgmlpure 1.0 from its sdist" in capsys.readouterr().err
    assert (tmp_path / "deps" / "sgmlpure.py").read_text() == "VALUE = 'sgmlpure 1.0'\n"


def test_editable_stays_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path / "mypkg", "mypkg", "1.0")
    (tmp_path / "r.txt").write_text("-e ./mypkg\n")
    assert run(index, tmp_path, "download", "-r", "r.txt", "-d", "w") == 1
    err = capsys.readouterr().err
    assert "-e/--editable is not supported: an editable install links to a source folder" in err


def test_a_folder_without_a_static_name_asks_for_one(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "anon"
    folder.mkdir()
    (folder / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert run(index, tmp_path, "download", "./anon", "-d", "w") == 1
    err = capsys.readouterr().err
    assert "cannot tell the project name of the local folder ./anon" in err
    assert f"NAME @ {folder.as_uri()}" in err


@pytest.mark.parametrize(
    ("line", "extra"),
    [
        ("./mypkg --hash=sha256:" + "0" * 64, ""),  # a hash no folder can be checked against
        ("./mypkg", "--require-hashes"),
        ("vcspkg @ git+{repo} --hash=sha256:" + "0" * 64, ""),
        ("vcspkg @ git+{repo}", "six==1.0 --hash=sha256:" + "0" * 64),  # hash mode is implied
    ],
)
def test_hashes_cannot_be_checked_on_a_folder_or_vcs_source_so_it_is_refused(
    index: IndexServer,
    tmp_path: Path,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    line: str,
    extra: str,
) -> None:
    # pip: "Can't verify hashes for these requirements": a --hash is never silently unchecked.
    project(tmp_path / "mypkg", "mypkg", "1.0")
    lines = [line.format(repo=repo.as_uri())]
    if extra.startswith("six"):
        lines.append(extra)
    Path("r.txt").write_text("\n".join(lines) + "\n")
    flags = [extra] if extra.startswith("--") else []
    assert run(index, tmp_path, "download", "-r", "r.txt", "-d", "w", *flags) == 1
    err = capsys.readouterr().err
    assert "a --hash cannot be checked against" in err
    assert "tagpip refused it, as pip does" in err
    assert "building" not in err
    assert not (tmp_path / "w").exists()


def test_why_builds_a_source_as_download_does(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # why explains what download would do: the folder is built, not reported as forbidden.
    project(tmp_path / "mypkg", "mypkg", "1.0")
    assert run(index, tmp_path, "why", "mypkg", "./mypkg") == 0
    out, err = capsys.readouterr()
    assert "building mypkg from the folder" in err
    assert "mypkg 1.0 for" in out
    assert "chosen: mypkg-1.0-py3-none-any.whl" in out


def test_a_remote_sdist_url_is_fetched_checked_and_built(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pip and uv build ``name @ https://.../x-1.0.tar.gz``; tagpip too, checked pure.
    import hashlib

    sdist = build_source_sdist(index.root, "remotepkg", "1.0")
    url = index.file_url(sdist.name)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert run(index, tmp_path, "download", f"remotepkg @ {url}#sha256={digest}", "-d", "w") == 0
    assert f"building remotepkg from the sdist {url} on " in capsys.readouterr().err
    assert names(tmp_path / "w") == ["remotepkg-1.0-py3-none-any.whl"]
    # A digest that does not match, in the URL or on the line, refuses it before any build.
    for line in (f"remotepkg @ {url}#sha256={'0' * 64}", f"remotepkg @ {url}"):
        Path("r.txt").write_text(line + (f" --hash=sha256:{'0' * 64}" if "#" not in line else ""))
        assert run(index, tmp_path, "download", "-r", "r.txt", "-d", "bad") == 1
        err = capsys.readouterr().err
        assert "tagpip refused it" in err
        assert "building" not in err
        assert not (tmp_path / "bad").exists()


def test_a_remote_url_that_is_no_archive_is_refused_by_name(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = index.file_url("remotepkg-1.0.exe")
    assert run(index, tmp_path, "download", f"remotepkg @ {url}", "-d", "w") == 1
    assert "is neither a wheel nor an sdist (.tar.gz or .zip)" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["lock.txt", "pylock.toml"])
def test_a_remote_sdist_is_locked_by_url_and_sha256(
    index: IndexServer, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    sdist = build_source_sdist(index.root, "remotepkg", "1.0")
    url = index.file_url(sdist.name)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert run(index, tmp_path, "lock", f"remotepkg @ {url}", "-o", name) == 0
    text = (tmp_path / name).read_text()
    assert digest in text
    assert url in text
    assert run(index, tmp_path, "lock", f"remotepkg @ {url}", "-o", name) == 0
    assert (tmp_path / name).read_text() == text  # re-locking is byte-identical
    capsys.readouterr()
    target = TARGET if name == "pylock.toml" else []
    args = ["-i", index.url, "--target", "deps", "--cache-dir", str(tmp_path / "cold")]
    assert main(["install", "-r", name, *target, *args, "--retries", "0"]) == 0
    assert (tmp_path / "deps" / "remotepkg.py").exists()


_RECORDING_BACKEND = """\
from pathlib import Path

from setuptools import build_meta as _setuptools

get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist
build_sdist = _setuptools.build_sdist


def get_requires_for_build_wheel(config_settings=None):
    return _setuptools.get_requires_for_build_wheel()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    Path("cfgpkg.py").write_text(f"SETTINGS = {config_settings!r}\\n")
    return _setuptools.build_wheel(wheel_directory, None, metadata_directory)
"""


@pytest.mark.parametrize(
    ("line", "flags", "settings"),
    [
        ("./cfgpkg", ["-C", "mode=fast"], "{'mode': 'fast'}"),
        ("./cfgpkg -C a=1 --config-settings=a=2", [], "{'a': ['1', '2']}"),
        ("./cfgpkg -C b=2", ["-C", "a=1"], "{'a': '1', 'b': '2'}"),
    ],
)
def test_config_settings_reach_the_build_backend_as_pip_passes_them(
    index: IndexServer, tmp_path: Path, line: str, flags: list[str], settings: str
) -> None:
    folder = tmp_path / "cfgpkg"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n\n[project]\nname = "cfgpkg"\nversion = "1.0"\n'
        '\n[tool.setuptools]\npy-modules = ["cfgpkg"]\n'
    )
    (folder / "backend.py").write_text(_RECORDING_BACKEND)
    (folder / "cfgpkg.py").write_text("SETTINGS = None\n")
    Path("r.txt").write_text(line + "\n")
    assert run(index, tmp_path, "install", "-r", "r.txt", *flags, "--target", "deps") == 0
    assert (tmp_path / "deps" / "cfgpkg.py").read_text() == f"SETTINGS = {settings}\n"
