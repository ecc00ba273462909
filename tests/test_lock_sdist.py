"""Locks of sets where a pin is built from its sdist: the tagged lock and pylock.toml record the
sdist (never the wheel tagpip built), reading the lock back rebuilds it from the build cache or
from the sdist checked against the locked hash, and only the built wheel is delivered. Real
sdists on the local test index, real builds (setuptools served by that index), real uv."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_source_sdist
from tagpip.cli import main
from test_build import _pyenv_python, serve_setuptools

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

pytestmark = pytest.mark.slow

TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
UV = Path(sys.executable).with_name("uv")


@pytest.fixture
def index(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    """The test index with setuptools (the builds' backend), the pure ``sgmlpure`` 1.0 (only an
    sdist, depending on ``helper``) and ``helper`` 1.0 (a wheel); the test runs in ``work``."""
    serve_setuptools(index_server)
    build_source_sdist(index_server.root, "sgmlpure", "1.0", dependencies=["helper>=1"])
    index_server.add_wheel("helper", "1.0")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return index_server


def tagpip(index: IndexServer, *args: str, cache: str = "cache") -> int:
    cache_dir = str(Path(cache).resolve())
    return main([*args, "-i", index.url, "--cache-dir", cache_dir, "--retries", "0"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sdist_of(index: IndexServer) -> Path:
    return index.root / "sgmlpure-1.0.tar.gz"


def test_the_tagged_lock_records_the_sdist_and_relocks_byte_identical(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt") == 0
    err = capsys.readouterr().err
    assert "building sgmlpure 1.0 from its sdist on " in err
    helper = sha256(index.root / "helper-1.0-py3-none-any.whl")
    text = Path("lock.txt").read_text()
    assert text.split("\n", 6)[6] == (
        "\n"
        "# target: CPython 3.11 on manylinux2014 x86_64\n"
        f"helper==1.0[manylinux_2_17_x86_64,cp311] --hash=sha256:{helper}\n"
        "    # via sgmlpure\n"
        f"sgmlpure==1.0[manylinux_2_17_x86_64,cp311] --hash=sha256:{sha256(sdist_of(index))}\n"
        f"    # sdist: sgmlpure-1.0.tar.gz {index.file_url('sgmlpure-1.0.tar.gz')}\n"
        "    # via <command line>:1\n"
    )
    # Locking again (its pins kept) and afresh give the same bytes, without building again.
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt") == 0
    assert Path("lock.txt").read_text() == text
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt", "--upgrade") == 0
    assert Path("lock.txt").read_text() == text
    assert "building" not in capsys.readouterr().err
    # tagpip's own checker accepts it.
    assert main(["check", "lock.txt"]) == 0


def test_the_pylock_records_the_sdist_table_and_no_wheels(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "pylock.toml") == 0
    text = Path("pylock.toml").read_text()
    data = tomllib.loads(text)
    package = next(p for p in data["packages"] if p["name"] == "sgmlpure")
    assert "wheels" not in package
    sdist = sdist_of(index)
    assert package["sdist"].pop("upload-time").tzinfo is not None  # the index's, in UTC
    assert package["sdist"] == {
        "name": "sgmlpure-1.0.tar.gz",
        "url": index.file_url("sgmlpure-1.0.tar.gz"),
        "size": sdist.stat().st_size,
        "hashes": {"sha256": sha256(sdist)},
    }
    helper = next(p for p in data["packages"] if p["name"] == "helper")
    assert [w["name"] for w in helper["wheels"]] == ["helper-1.0-py3-none-any.whl"]
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "pylock.toml") == 0
    assert Path("pylock.toml").read_text() == text


@pytest.mark.parametrize("name", ["lock.txt", "pylock.toml"])
def test_download_from_the_lock_delivers_only_the_built_wheel(
    index: IndexServer, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", name) == 0
    capsys.readouterr()
    target = TARGET if name == "pylock.toml" else []
    # A warm build cache: the wheel comes from it, and the sdist is not even fetched.
    index.clear_log()
    assert tagpip(index, "download", "-r", name, *target, "-d", "w", "--require-hashes") == 0
    assert "building" not in capsys.readouterr().err
    assert sorted(p.name for p in Path("w").iterdir()) == [
        "helper-1.0-py3-none-any.whl",
        "sgmlpure-1.0-py3-none-any.whl",
    ]
    assert not [p for p in index.paths() if p.endswith(".tar.gz")]
    # A cold cache: the sdist is fetched, checked against the lock and built again.
    shutil.rmtree("w")
    assert tagpip(index, "download", "-r", name, *target, "-d", "w", cache="cold") == 0
    assert "building sgmlpure 1.0 from its sdist" in capsys.readouterr().err
    assert sorted(p.name for p in Path("w").iterdir())[1] == "sgmlpure-1.0-py3-none-any.whl"
    assert not list(Path("w").glob("*.tar.gz"))


def test_install_and_bundle_from_the_lock_build_the_sdist(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt", cache="c1") == 0
    assert tagpip(index, "install", "-r", "lock.txt", "--target", "deps", cache="c2") == 0
    assert "building sgmlpure 1.0 from its sdist" in capsys.readouterr().err
    assert (Path("deps") / "sgmlpure.py").read_text().strip() == "VALUE = 'sgmlpure 1.0'"
    assert (Path("deps") / "sgmlpure-1.0.dist-info" / "METADATA").exists()
    assert tagpip(index, "bundle", "-r", "lock.txt", "-o", "f.zip", cache="c2") == 0
    assert "building" not in capsys.readouterr().err
    with zipfile.ZipFile("f.zip") as archive:
        listed = archive.namelist()
    assert "sgmlpure.py" in listed
    assert not [n for n in listed if n.endswith(".tar.gz")]


def test_an_sdist_whose_bytes_differ_from_the_lock_is_refused(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt") == 0
    good = sha256(sdist_of(index))
    bad = "0" * 64
    text = Path("lock.txt").read_text()
    Path("lock.txt").write_text(text.replace(good, bad))
    capsys.readouterr()
    # Neither the warm cache (its build is of other bytes) nor the sdist serves it.
    assert tagpip(index, "download", "-r", "lock.txt", "-d", "w") == 1
    err = capsys.readouterr().err
    assert f"sgmlpure: sgmlpure-1.0.tar.gz has sha256 {good}" in err
    assert "tagpip refused it" in err
    assert "Traceback" not in err
    assert not Path("w").exists() or not list(Path("w").iterdir())


def test_a_locked_sdist_is_not_built_when_the_run_forbids_builds(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt") == 0
    capsys.readouterr()
    assert tagpip(index, "download", "-r", "lock.txt", "-d", "w", "--no-build") == 1
    err = capsys.readouterr().err
    assert "sgmlpure 1.0 is locked as its sdist sgmlpure-1.0.tar.gz, and this run does not " in err
    assert "tagpip refused it" in err
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "other.txt", "--no-build") == 1
    assert "sgmlpure publishes only sdists, and this run does not build them" in (
        capsys.readouterr().err
    )


def test_a_pylock_sdist_needs_a_target_to_be_built(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "pylock.toml") == 0
    capsys.readouterr()
    assert tagpip(index, "download", "-r", "pylock.toml", "-d", "w") == 1
    err = capsys.readouterr().err
    assert "sgmlpure 1.0 is locked as its sdist sgmlpure-1.0.tar.gz, which is built for" in err
    assert "--preset" in err


def test_a_lock_is_not_written_when_the_sdist_is_not_pure(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_build import NOT_PURE

    build_source_sdist(index.root, "speedy", "2.0", setup_py=NOT_PURE)
    assert tagpip(index, "lock", "speedy", *TARGET, "-o", "lock.txt") == 1
    assert "passed over speedy 2.0: its sdist built a wheel that is not pure Python" in (
        capsys.readouterr().err
    )
    assert not Path("lock.txt").exists()


def test_the_report_says_a_pin_was_built_and_from_which_sdist(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tagpip(index, "download", "sgmlpure", *TARGET, "-d", "w", "--report", "r.json") == 0
    items = {i["metadata"]["name"]: i for i in json.loads(Path("r.json").read_text())["install"]}
    built = items["sgmlpure"]
    sdist = sdist_of(index)
    assert built["download_info"] == {
        "url": index.file_url("sgmlpure-1.0.tar.gz"),
        "archive_info": {
            "hash": f"sha256={sha256(sdist)}",
            "hashes": {"sha256": sha256(sdist)},
        },
    }
    wheel = Path("w") / "sgmlpure-1.0-py3-none-any.whl"
    assert built["tagpip_built"] == {
        "from_sdist": "sgmlpure-1.0.tar.gz",
        "wheel": wheel.name,
        "wheel_sha256": sha256(wheel),
    }
    assert "tagpip_built" not in items["helper"]


@pytest.mark.skipif(not UV.exists(), reason="uv is not installed next to this Python")
def test_uv_installs_the_pylock_with_an_sdist(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real PEP 751 consumer accepts the sdist table tagpip writes (and builds it itself)."""
    # A 3.12 interpreter where pyenv has one: pip 26.0 (the newest pip for Python 3.9) cannot
    # install the build requirements from the test index inside the build environment.
    python = str(_pyenv_python("3.12") or sys.executable)
    here = ["--from-python", python]
    assert tagpip(index, "lock", "sgmlpure", *here, "-o", "pylock.toml") == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"), NO_COLOR="1")
    dest = tmp_path / "site"
    result = subprocess.run(
        [str(UV), "pip", "install", "-r", "pylock.toml", "--target", str(dest),
         "--python", python, "--index-url", index.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    installed = sorted(p.name for p in dest.iterdir() if p.name.endswith(".dist-info"))
    assert installed == ["helper-1.0.dist-info", "sgmlpure-1.0.dist-info"]
    shutil.rmtree(tmp_path / "uv-cache", ignore_errors=True)


def test_one_target_builds_the_sdist_while_another_takes_a_wheel(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """sgmlpure 1.0 also ships a cp312 wheel: a 3.12 target takes it, a 3.11 one builds the
    sdist. pylock.toml holds both in one package; each target reads back its own file."""
    index.add_wheel("sgmlpure", "1.0", tags="cp312-none-any", requires_dist=["helper>=1"])
    for short in ("3.11", "3.12"):
        platform = ["--platform", "manylinux2014_x86_64", "--python-version", short]
        assert main(["tags", *platform, "--json"]) == 0
        Path(f"t{short}.json").write_text(capsys.readouterr().out)
    targets = ["--target-file", "t3.11.json", "--target-file", "t3.12.json"]
    assert tagpip(index, "lock", "sgmlpure", *targets, "-o", "pylock.toml") == 0
    assert tagpip(index, "lock", "sgmlpure", *targets, "-o", "lock.txt") == 0
    data = tomllib.loads(Path("pylock.toml").read_text())
    package = next(p for p in data["packages"] if p["name"] == "sgmlpure")
    assert "marker" not in package
    assert package["sdist"]["name"] == "sgmlpure-1.0.tar.gz"
    assert [w["name"] for w in package["wheels"]] == ["sgmlpure-1.0-cp312-none-any.whl"]
    assert Path("lock.txt").read_text().count("# sdist: sgmlpure-1.0.tar.gz ") == 1
    capsys.readouterr()
    for name in ("pylock.toml", "lock.txt"):
        for short, wheel in (("3.12", "cp312-none-any"), ("3.11", "py3-none-any")):
            dest = f"{name}-{short}"
            assert tagpip(index, "download", "-r", name, "-d", dest, "-q",
                          "--target-file", f"t{short}.json") == 0  # fmt: skip
            assert sorted(p.name for p in Path(dest).iterdir()) == [
                "helper-1.0-py3-none-any.whl",
                f"sgmlpure-1.0-{wheel}.whl",
            ]
    # Without a target, a tagged lock's files are every section's: the sdist built for the
    # target its line names.
    assert tagpip(index, "download", "-r", "lock.txt", "-d", "all", "-q") == 0
    assert sorted(p.name for p in Path("all").iterdir()) == [
        "helper-1.0-py3-none-any.whl",
        "sgmlpure-1.0-cp312-none-any.whl",
        "sgmlpure-1.0-py3-none-any.whl",
    ]


def test_the_lock_lines_as_plain_requirements_check_the_sdist_hash(
    index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without its marker line the lock is an ordinary requirement file: resolved again, with
    --require-hashes checking the sdist against the line's hash before it is built."""
    assert tagpip(index, "lock", "sgmlpure", *TARGET, "-o", "lock.txt") == 0
    text = Path("lock.txt").read_text().replace("# tagpip-lock: 1\n", "")
    Path("plain.txt").write_text(text)
    capsys.readouterr()
    assert tagpip(index, "download", "-r", "plain.txt", "-d", "w", "--require-hashes", "-q") == 0
    assert sorted(p.name for p in Path("w").iterdir())[1] == "sgmlpure-1.0-py3-none-any.whl"
    Path("plain.txt").write_text(text.replace(sha256(sdist_of(index)), "0" * 64))
    assert tagpip(index, "download", "-r", "plain.txt", "-d", "v", "--require-hashes") == 1
    err = capsys.readouterr().err
    assert "sgmlpure-1.0.tar.gz has sha256" in err
    assert "tagpip refused it" in err
    assert not Path("v").exists() or not list(Path("v").iterdir())
