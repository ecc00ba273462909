"""The pre-commit hook, run by the real `pre-commit` on a scratch repository.

`pre-commit try-repo` installs the hook the way users get it: from a git repository, with pip.
The repository is a committed copy of the working tree, so uncommitted work is what is tested.
Installing the hook's environment fetches tagpip's dependencies from PyPI once per session
(PRE_COMMIT_HOME is shared); later runs reuse it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

if importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None:
    pytest.skip("needs pre-commit and git", allow_module_level=True)


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding a copy of the project as it is now."""
    repo = tmp_path_factory.mktemp("hook-repo")
    shutil.copytree(
        ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")
    return repo


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(
    target: Path, hook_repo: Path, home: Path, files: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    target.mkdir()
    for name, content in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(content)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PIP_CONFIG_FILE", None)  # the hook's own pip install uses PyPI normally
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_repo),
            "tagpip-check",
            "--all-files",
            "--verbose",
        ],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


_PYLOCK = """\
lock-version = "1.0"
created-by = "hand"
requires-python = ">=3.12"

[[packages]]
name = "six"
version = "{version}"
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
hashes = {{sha256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"}}
"""


def test_good_files_pass(tmp_path: Path, hook_repo: Path, pre_commit_home: Path) -> None:
    result = _try_repo(
        tmp_path / "good",
        hook_repo,
        pre_commit_home,
        {
            "requirements.txt": "requests==2.32.3[manylinux_2_28,cp312,x86_64]\n-r dev/base.in\n",
            "dev/base.in": "attrs[][manylinux2014,cp39,x86_64]\n",
            "MANIFEST.in": "include README.md\n",  # not a requirements file: never checked
            "notes.txt": "not a requirements file\n",
            "deploy/pylock.toml": _PYLOCK.format(version="1.16.0"),
            "settings.toml": "not = 'a lock'\n",  # not a lock's name: never checked
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tagpip check" in result.stdout
    assert "Passed" in result.stdout


def test_bad_file_fails_with_the_message(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    result = _try_repo(
        tmp_path / "bad",
        hook_repo,
        pre_commit_home,
        {
            "requirements-prod.txt": "cryptography==3.2[manylinux3,cp36,x86_64]\n",
            "deps.lock.txt": "six==1.16.0[cp39,cp38]\n",
            "pylock.prod.toml": _PYLOCK.format(version="one"),
        },
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert (
        "requirements-prod.txt:1:19: unknown tag 'manylinux3'\n"
        "    cryptography==3.2[manylinux3,cp36,x86_64]\n"
        "                      ^^^^^^^^^^\n"
        "hint: did you mean 'manylinux2014'?\n"
    ) in result.stdout
    assert "deps.lock.txt:1:18: two python tags in one block: 'cp39' and 'cp38'" in result.stdout
    assert "pylock.prod.toml: package six has no valid version" in result.stdout


def test_the_documented_way_to_pin_rev_gives_a_commit_pre_commit_accepts(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """docs/recipes/pre-commit.md: with no release tags, ``autoupdate --bleeding-edge --freeze``
    writes the newest commit's hash into ``rev:`` (checked against the real pre-commit)."""
    docs = (ROOT / "docs" / "recipes" / "pre-commit.md").read_text(encoding="utf-8")
    command = (
        "pre-commit autoupdate --repo https://github.com/tagpip/tagpip --bleeding-edge --freeze"
    )
    assert command in docs
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: 0123456789abcdef0123456789abcdef01234567\n"
        "    hooks:\n      - id: tagpip-check\n"
    )
    _git(tmp_path, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    argv = command.split()[1:]
    argv[argv.index("https://github.com/tagpip/tagpip")] = str(hook_repo)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", *argv],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"rev: {head}" in config.read_text()
