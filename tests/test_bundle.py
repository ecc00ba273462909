"""``tagpip bundle``: a deployable zip (or folder) for a target, byte-identical from the same
inputs, laid out as Lambda expects, checked against the target's size limits.

The wheels come from a real index on 127.0.0.1; the zip is read back with ``zipfile`` and, where
pyenv has CPython 3.12, imported by that interpreter from the unzipped folder. ``--compile`` runs
that interpreter too (skipped cleanly without it); its refusals need none.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.bundle import limits
from tagpip.cli import main

PRESET = ["--preset", "aws-lambda-python3.12-x86_64"]


def _pyenv_versions() -> Path:
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() if done.returncode == 0 else None
    return Path(root or os.path.expanduser("~/.pyenv")) / "versions"


PYENV = _pyenv_versions()
PY312 = sorted(PYENV.glob("3.12.*/bin/python"))
needs_312 = pytest.mark.skipif(not PY312, reason="no pyenv CPython 3.12")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def seed(server: IndexServer) -> None:
    server.add_wheel(
        "app-lib",
        "1.0",
        requires_dist=["helper>=1"],
        extra_files={
            "app_lib/core.py": "from helper.value import VALUE\n",
            "app_lib/tests/__init__.py": "",
            "app_lib/tests/test_it.py": "def test(): pass\n",
            "app_lib/core.pyi": "VALUE: int\n",
        },
    )
    server.add_wheel("helper", "2.0", extra_files={"helper/value.py": "VALUE = 42\n"})


def bundle(
    server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    output: str = "function.zip",
) -> tuple[int, str, str]:
    return run(
        [
            "bundle",
            "app-lib",
            "-o",
            str(tmp_path / output),
            *PRESET,
            "-i",
            server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
            *extra,
        ],
        capsys,
    )


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_the_same_inputs_give_the_same_bytes(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    src = tmp_path / "src"
    src.mkdir()
    (src / "handler.py").write_text("import app_lib\n\ndef handler(e, c):\n    return 1\n")
    status, _, err = bundle(index_server, tmp_path, capsys, "--add", f"{src}/")
    assert status == 0, err
    first = (tmp_path / "function.zip").read_bytes()
    (tmp_path / "function.zip").unlink()
    status, _, err = bundle(index_server, tmp_path, capsys, "--add", f"{src}/")
    assert status == 0, err
    assert (tmp_path / "function.zip").read_bytes() == first
    listed = names(tmp_path / "function.zip")
    assert listed == sorted(listed)
    assert "handler.py" in listed
    assert "app_lib/__init__.py" in listed
    assert "helper/__init__.py" in listed
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert stamps == {(1980, 1, 1, 0, 0, 0)}
    # SOURCE_DATE_EPOCH sets the one timestamp (2021-01-01T00:00:00Z).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1609459200")
    status, _, err = bundle(index_server, tmp_path, capsys, output="dated.zip")
    assert status == 0, err
    with zipfile.ZipFile(tmp_path / "dated.zip") as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert stamps == {(2021, 1, 1, 0, 0, 0)}


def test_a_layer_puts_everything_under_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys, "--layer")
    assert status == 0, err
    assert all(name.startswith("python/") for name in names(tmp_path / "function.zip"))


def test_slim_drops_tests_and_stubs_but_never_metadata(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys, "--slim")
    assert status == 0, err
    listed = names(tmp_path / "function.zip")
    assert "app_lib/__init__.py" in listed
    assert not [n for n in listed if "/tests/" in n or n.endswith(".pyi")]
    assert any(n.startswith("app_lib-1.0.dist-info/") for n in listed)
    assert any(n.endswith(".dist-info/METADATA") for n in listed)


def test_over_the_targets_limit_is_an_error_unless_told(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    tiny = {
        key: dataclasses.replace(value, unzipped=10, zipped=10)
        for key, value in limits.LIMITS.items()
    }
    monkeypatch.setattr(limits, "LIMITS", tiny)
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 1
    assert "error:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "function.zip").exists()
    status, _, err = bundle(index_server, tmp_path, capsys, "--no-size-check")
    assert status == 0, err
    assert (tmp_path / "function.zip").exists()


def test_a_folder_that_is_not_empty_is_refused_by_name(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    status, _, err = bundle(index_server, tmp_path, capsys, "--dir", output="site")
    assert status == 1
    assert str(out) in err
    assert (out / "keep.txt").read_text() == "mine"
    status, _, err = bundle(index_server, tmp_path, capsys, "--dir", output="fresh")
    assert status == 0, err
    assert (tmp_path / "fresh" / "helper" / "__init__.py").is_file()


def test_a_pth_file_is_warned_about(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("app-lib", "1.0", extra_files={"app_lib.pth": "import os\n"})
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 0, err
    assert "app_lib.pth" in err


@needs_312
def test_the_unzipped_bundle_imports_in_the_targets_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 0, err
    task = tmp_path / "task"
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        archive.extractall(task)
    python = PY312[-1]
    result = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import app_lib.core; print(app_lib.core.VALUE)",
            str(task),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "42"), result.stderr


# -- --compile -----------------------------------------------------------------------------------


def record_rows(archive: zipfile.ZipFile, name: str) -> dict[str, tuple[str, str]]:
    text = archive.read(name).decode("utf-8")
    return {row[0]: (row[1], row[2]) for row in csv.reader(io.StringIO(text)) if row}


def pyc_flags(data: bytes) -> int:
    """PEP 552's flags word: 0b01 hash-based, 0b10 check the source."""
    return int.from_bytes(data[4:8], "little")


@needs_312
def test_compile_writes_recorded_unchecked_hash_pycs_reproducibly(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    src = tmp_path / "src"
    src.mkdir()
    (src / "handler.py").write_text("import app_lib.core\n")
    (src / "legacy.py").write_text('print "Python 2"\n')
    status, out, err = bundle(index_server, tmp_path, capsys, "--compile", "--add", f"{src}/")
    assert status == 0, err
    # Found as builds find one (pyenv here), named on the one line that says what was done.
    assert "--compile: wrote 7 pycs" in out
    assert "with Python 3.12." in out
    assert (
        "tagpip: warning: --compile: 1 files do not compile for Python 3.12 and stay source "
        "only: legacy.py (" in err
    )
    first = (tmp_path / "function.zip").read_bytes()
    (tmp_path / "function.zip").unlink()
    status, _, err = bundle(index_server, tmp_path, capsys, "--compile", "--add", f"{src}/")
    assert status == 0, err
    assert (tmp_path / "function.zip").read_bytes() == first
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        listed = archive.namelist()
        pycs = [n for n in listed if n.endswith(".pyc")]
        assert pycs == [
            "__pycache__/handler.cpython-312.pyc",
            "app_lib/__pycache__/__init__.cpython-312.pyc",
            "app_lib/__pycache__/core.cpython-312.pyc",
            "app_lib/tests/__pycache__/__init__.cpython-312.pyc",
            "app_lib/tests/__pycache__/test_it.cpython-312.pyc",
            "helper/__pycache__/__init__.cpython-312.pyc",
            "helper/__pycache__/value.cpython-312.pyc",
        ]
        assert {pyc_flags(archive.read(n)) for n in pycs} == {0b01}  # hash-based, unchecked
        # Each pyc is in its project's RECORD with its hash and size, as pip records them;
        # the user's handler has no RECORD to be in.
        rows = record_rows(archive, "helper-2.0.dist-info/RECORD")
        data = archive.read("helper/__pycache__/value.cpython-312.pyc")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert rows["helper/__pycache__/value.cpython-312.pyc"] == (
            f"sha256={digest}",
            str(len(data)),
        )
        assert list(rows)[-1] == "helper-2.0.dist-info/RECORD"
        app_rows = record_rows(archive, "app_lib-1.0.dist-info/RECORD")
        assert "app_lib/__pycache__/core.cpython-312.pyc" in app_rows
        assert not any("handler" in row for row in app_rows)
    # The tree was hard-linked from the cache of unpacked wheels: compiling changed none of
    # the cache's files, so a bundle without --compile from that cache has no bytecode.
    status, _, err = bundle(index_server, tmp_path, capsys, output="plain.zip")
    assert status == 0, err
    with zipfile.ZipFile(tmp_path / "plain.zip") as archive:
        assert not [n for n in archive.namelist() if "__pycache__" in n]
        assert "pyc" not in archive.read("helper-2.0.dist-info/RECORD").decode()


@needs_312
def test_the_compiled_bundle_imports_from_its_pycs(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys, "--compile", "--layer")
    assert status == 0, err
    task = tmp_path / "opt"
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        archive.extractall(task)
    # An unchecked-hash pyc is used without looking at the source: a changed source proves
    # that the import ran the bundle's bytecode.
    (task / "python" / "helper" / "value.py").write_text("VALUE = 0\n")
    result = subprocess.run(
        [
            str(PY312[-1]),
            "-I",
            "-B",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import app_lib.core, helper.value; "
            "print(app_lib.core.VALUE, helper.value.__spec__.cached.endswith('.cpython-312.pyc'))",
            str(task / "python"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "42 True"), result.stderr


def test_compile_refuses_an_interpreter_of_another_version(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    host = sys.version_info[:2]
    other = "3.11" if host == (3, 12) else "3.12"
    status, _, err = run(
        [
            "bundle",
            "app-lib",
            "-o",
            str(tmp_path / "function.zip"),
            "--python-version",
            other,
            "--platform",
            "manylinux2014_x86_64",
            "-i",
            index_server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--compile-python",
            sys.executable,
        ],
        capsys,
    )
    assert status == 1
    assert (
        f"error: --compile: {sys.executable} is CPython "
        f"{'.'.join(map(str, sys.version_info[:3]))}, and the target is CPython {other}; "
        "tagpip refuses to compile with another version, whose bytecode the target would not "
        f"use\nhint: name a CPython {other} interpreter with --compile-python, or leave out "
        "--compile\n"
    ) in err
    assert "Traceback" not in err
    assert not (tmp_path / "function.zip").exists()


def test_compile_refuses_when_no_interpreter_of_the_version_is_found(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PYENV_ROOT", str(empty))  # no pyenv versions
    monkeypatch.setenv("PATH", str(empty))  # no uv, no python3.8
    status, _, err = run(
        [
            "bundle",
            "app-lib",
            "-o",
            str(tmp_path / "function.zip"),
            "--python-version",
            "3.8",
            "--platform",
            "manylinux2014_x86_64",
            "-i",
            index_server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--compile",
        ],
        capsys,
    )
    assert status == 1
    assert (
        "error: --compile: no Python 3.8 interpreter found (looked at --from-python, pyenv's "
        "versions, uv python find and python3.8 on PATH); tagpip refuses to compile with "
        "another version, whose bytecode the target would not use"
    ) in err
    assert "Traceback" not in err
    assert not (tmp_path / "function.zip").exists()


# -- the recipes of docs/recipes/bundle.md -------------------------------------------------------

RECIPES = "recipes/bundle.md"


def machines(files: dict[str, bytes], project: str) -> set[str]:
    """The machines the installed project's wheel was built for (its WHEEL ``Tag:`` lines)."""
    (wheel,) = [
        name
        for name in files
        if name.endswith(".dist-info/WHEEL")
        and name.split("/")[-2].lower().startswith(project + "-")
    ]
    tags = [line[5:] for line in files[wheel].decode().splitlines() if line.startswith("Tag: ")]
    return {tag.rsplit("_", 1)[-1] if "x86_64" not in tag else "x86_64" for tag in tags}


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def folder_files(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def imports_in_312(folder: Path, modules: str) -> None:
    result = subprocess.run(
        [
            str(PY312[-1]),
            "-I",
            "-B",
            "-c",
            f"import sys; sys.path.insert(0, sys.argv[1]); import {modules}",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_each_recipe_runs_and_makes_what_it_says(tmp_path: Path) -> None:
    """The page's blocks run as tests/test_docs.py runs them (same runner, same index of real
    names); then each recipe's output is checked: the function zip at the root, the layers
    under ``python/`` with x86_64 and aarch64 wheels, the container folder; where pyenv has
    CPython 3.12, each x86_64 one imports, and the ``--compile`` recipe runs and imports too."""
    from support.docs_catalog import populate
    from test_docs import Sandbox, blocks_of, run_block

    blocks = blocks_of(RECIPES)
    with IndexServer(tmp_path / "index") as server:
        populate(server)
        box = Sandbox(tmp_path / "work", server)
        for block in blocks:
            run_block(block, box, "hermetic")
        work = box.folder
        function = zip_files(work / "function.zip")
        assert "lambda_function.py" in function
        assert "requests/__init__.py" in function
        assert not [n for n in function if n.startswith("python/")]
        assert machines(function, "cryptography") == {"x86_64"}
        for arch in ("x86_64", "arm64"):
            layer = zip_files(work / f"layer-{arch}.zip")
            assert all(n.startswith("python/") for n in layer), arch
            assert "python/pyyaml/__init__.py" in layer
            machine = "x86_64" if arch == "x86_64" else "aarch64"
            assert machines(layer, "pyyaml") == {machine}, arch
            assert machines(layer, "cryptography") == {machine}, arch
        image = folder_files(work / "image-site")
        assert "cryptography/__init__.py" in image
        assert machines(image, "cryptography") == {"aarch64"}
        if not PY312:
            return
        # The docs' wheels are stand-ins of the real projects (their modules are named after
        # the projects: pyyaml, not yaml), so the imports name those.
        modules = "requests, pyyaml, cryptography, urllib3"
        with zipfile.ZipFile(work / "function.zip") as archive:
            archive.extractall(tmp_path / "task")
        imports_in_312(tmp_path / "task", modules)
        with zipfile.ZipFile(work / "layer-x86_64.zip") as archive:
            archive.extractall(tmp_path / "opt")
        imports_in_312(tmp_path / "opt" / "python", modules)
        (compiling,) = [b for b in blocks if b.kind == "covered-by" and "--compile" in b.body]
        box.env["PYENV_ROOT"] = str(PYENV.parent)  # the sandbox's HOME has no ~/.pyenv
        result = box.run("set -e\n" + compiling.body)
        assert result.returncode == 0, result.stdout
        compiled = zip_files(work / "function.zip")
        assert "requests/__pycache__/__init__.cpython-312.pyc" in compiled
        assert "__pycache__/lambda_function.cpython-312.pyc" in compiled
        shutil.rmtree(tmp_path / "task")
        with zipfile.ZipFile(work / "function.zip") as archive:
            archive.extractall(tmp_path / "task")
        imports_in_312(tmp_path / "task", modules)


@needs_312
@pytest.mark.slow
def test_the_import_time_bench_runs() -> None:
    """bench/bench_bundle.py (whose numbers docs/recipes/bundle.md shows) still runs; one run
    per side, nothing about its times asserted."""
    bench = Path(__file__).resolve().parent.parent / "bench" / "bench_bundle.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--runs", "1", "--python", str(PY312[-1]), "--only", "idna"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| --compile | " in result.stdout
    assert "| no --compile | " in result.stdout


HOST = ".".join(map(str, sys.version_info[:3]))


@pytest.mark.parametrize(
    ("implementation", "version", "expected"),
    [
        ("cp", (3, 6), "--compile: the target is Python 3.6; tagpip compiles only for Python 3.7"),
        ("pp", sys.version_info[:2], f"is CPython {HOST}, and the target is PyPy"),
    ],
)
def test_compile_refuses_old_targets_and_other_implementations(
    tmp_path: Path, implementation: str, version: tuple[int, int], expected: str
) -> None:
    from tagpip.bundle.artifact import CompileError, compile_tree

    (tmp_path / "m.py").write_text("X = 1\n")
    with pytest.raises(CompileError) as caught:
        compile_tree(tmp_path, sys.executable, implementation, version)
    assert expected in caught.value.message
    assert not (tmp_path / "__pycache__").exists()


def test_a_lock_bundles_the_same_bytes_as_its_requirements(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-r tagpip.lock.files`` and ``-r pylock.toml`` install exactly the locked files: the zip is
    byte for byte the one the requirements give. (A pylock.toml records markers, not tags, so
    its target is given again.)"""
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 0, err
    fresh = (tmp_path / "function.zip").read_bytes()
    common = ["-i", index_server.url, "--cache-dir", str(tmp_path / "cache")]
    for lock in ("tagpip.lock.files", "pylock.toml"):
        path = tmp_path / lock
        status, _, err = run(["lock", "app-lib", *PRESET, *common, "-o", str(path)], capsys)
        assert status == 0, err
        out = tmp_path / f"from-{lock}.zip"
        again = PRESET if lock == "pylock.toml" else []
        status, _, err = run(["bundle", "-r", str(path), "-o", str(out), *again, *common], capsys)
        assert status == 0, err
        assert out.read_bytes() == fresh, lock


def test_exclude_drops_what_it_matches_and_the_table_says_what_it_saved(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = bundle(index_server, tmp_path, capsys, "--exclude", "*.pyi")
    assert status == 0, err
    listed = names(tmp_path / "function.zip")
    assert "app_lib/core.pyi" not in listed
    assert "app_lib/core.py" in listed
    assert err == ""
    assert out == (
        "project          version  files  unzipped   zipped  saved\n"
        "---------------  -------  -----  --------  -------  -----------------------\n"
        "(target record)               1   1.5 KiB    361 B\n"
        "app-lib          1.0          9   1.3 KiB    874 B  11 B by --exclude *.pyi\n"
        "helper           2.0          7     972 B    664 B\n"
        "---------------  -------  -----  --------  -------  -----------------------\n"
        "total                        17   3.7 KiB  4.0 KiB  11 B\n"
        "--exclude *.pyi (matched): dropped 1 file, 11 B\n"
        "limits of aws-lambda: 250.0 MiB unzipped, 50.0 MiB zipped (unzipped: the function "
        "and all its layers together; zipped: a direct upload; "
        "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)\n"
        "licences (as each project declares it):\n"
        "  unknown  app-lib, helper\n"
        f"Wrote {tmp_path / 'function.zip'} (17 files, 3.7 KiB unzipped, 4.0 KiB zipped)\n"
    )
