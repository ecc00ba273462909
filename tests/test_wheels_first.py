"""Wheels first: what the target gets when a project's newest versions ship only sdists, and
what an X.Y target assumes about its patch level. Real indexes on 127.0.0.1; the builds these
tests need are in tests/test_build.py and tests/test_sdist_inspection.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main


def run(index: IndexServer, tmp_path: Path, *args: str) -> int:
    return main([*args, "-i", index.url, "--cache-dir", str(tmp_path / "cache"), "--retries", "0"])


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- an X.Y target and python_full_version ---------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "outcome"),
    [
        # True for 3.11.0-3.11.2 only (redis 8.2.0's async-timeout): included, and said.
        ('python_full_version < "3.11.3"', "assumed"),
        ('python_full_version >= "3.11.4"', "assumed"),
        ('python_full_version != "3.11.0"', "assumed"),
        # Decided for every 3.11.Z: nothing assumed, nothing said.
        ('python_full_version >= "3.11"', "always"),
        ('python_full_version < "3.11"', "never"),
    ],
)
def test_a_patch_level_marker_on_an_x_y_target_includes_the_dependency_and_says_so(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    marker: str,
    outcome: str,
) -> None:
    index_server.add_wheel("kv", "8.2.0", requires_dist=[f"timeouts>=4; {marker}"])
    index_server.add_wheel("timeouts", "4.0.3")
    dest = tmp_path / "w"
    args = ["download", "kv==8.2.0", "-d", str(dest), "--platform", "win_amd64"]
    assert run(index_server, tmp_path, *args, "--python-version", "3.11") == 0
    err = capsys.readouterr().err
    said = (
        f"warning: kv 8.2.0 requires timeouts>=4 only on some Python 3.11.Z ({marker}); the "
        "target gives no patch level, so tagpip included it (give --python-version 3.11.Z to "
        "decide)"
    )
    assert (said in err.splitlines()) == (outcome == "assumed")
    assert "patch level" in err or outcome != "assumed"
    delivered = "timeouts-4.0.3-py3-none-any.whl" in names(dest)
    assert delivered == (outcome != "never")
    # With the patch level given, the marker is decided and nothing is said.
    exact = ["download", "kv==8.2.0", "-d", str(tmp_path / "x"), "--platform", "win_amd64"]
    assert run(index_server, tmp_path, *exact, "--python-version", "3.11.9") == 0
    assert "patch level" not in capsys.readouterr().err


def test_a_patch_level_marker_on_a_users_line_is_said_with_its_place(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("timeouts", "4.0.3")
    req = tmp_path / "requirements.txt"
    req.write_text('timeouts ; python_full_version < "3.11.3"\n')
    dest = tmp_path / "w"
    target = ["--platform", "win_amd64", "--python-version", "3.11"]
    assert run(index_server, tmp_path, "download", "-r", str(req), "-d", str(dest), *target) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: {req}:1: timeouts only on some Python 3.11.Z "
        '(python_full_version < "3.11.3"); the target gives no patch level, so tagpip included '
        "it (give --python-version 3.11.Z to decide)"
    ) in err.splitlines()
    assert names(dest) == ["timeouts-4.0.3-py3-none-any.whl"]


# -- wheels first: why says it --------------------------------------------------------------


def test_why_names_a_newer_sdist_only_release_and_what_would_build_it(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support.wheels import write_sdist

    index_server.add_wheel("fast", "1.0", tags="cp311-cp311-manylinux2014_x86_64")
    write_sdist(
        index_server.root,
        "fast",
        "2.0",
        {"pyproject.toml": '[build-system]\nrequires = ["maturin"]\nbuild-backend = "maturin"\n'},
    )
    target = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
    assert run(index_server, tmp_path, "why", "fast", "fast", *target) == 0
    out = capsys.readouterr().out
    assert (
        "  2.0  ships only an sdist for CPython 3.11 on manylinux2014 x86_64, and wheels come "
        "first (require fast==2.0 or pass --prefer-source fast to build it instead)"
    ) in out.splitlines()
    assert (
        run(index_server, tmp_path, "why", "fast", "fast", *target, "--prefer-source", "fast") == 0
    )
    captured = capsys.readouterr()
    assert (
        "  2.0  ships only an sdist for CPython 3.11 on manylinux2014 x86_64, and its sdist needs "
        "compiling (its build backend is maturin (Rust)); nothing was built"
    ) in captured.out.splitlines()
    assert (
        "passed over fast 2.0: its sdist needs compiling (its build backend is maturin (Rust)); "
        "nothing was built"
    ) in captured.err.splitlines()


@pytest.mark.slow
def test_a_pinned_extras_node_is_never_offered_another_versions_sdist(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """``proj[x]<2`` pins the extras node to proj 1.0's wheel; when a dependency then asks for
    proj>=2, whose only file is a pure sdist (it builds), that sdist is no more the pinned file
    than a wheel of 2.0 would be, and must not be offered: it was (only the wheels were held to
    the pin), and resolvelib stopped with an internal error (InconsistentCandidate) where it
    should backtrack to cli 1.0, as uv does with sentry-sdk[fastapi]<2 and fastapi[standard]
    for a Lambda on PyPI."""
    from support.wheels import build_source_sdist
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    index_server.add_wheel("proj", "1.0", provides_extra=["x"])
    build_source_sdist(index_server.root, "proj", "2.0")
    index_server.add_wheel("cli", "1.0")
    index_server.add_wheel("cli", "2.0", requires_dist=["proj>=2"])
    req = tmp_path / "requirements.txt"
    req.write_text("proj[x]<2\ncli\n")
    out = tmp_path / "lock.txt"
    target = ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.12"]
    assert run(index_server, tmp_path, "lock", "-r", str(req), "-o", str(out), *target) == 0
    pins = sorted(line.split("[")[0] for line in out.read_text().splitlines() if "==" in line)
    assert [p for p in pins if not p.startswith("#")] == ["cli==1.0", "proj==1.0"]
