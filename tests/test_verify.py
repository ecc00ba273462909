"""``tagpip verify``: what was installed or bundled imports on the target's own interpreter.

Every check runs real interpreters (pyenv's CPython 3.6 to 3.13; a test skips when the one it
needs is missing) on folders ``tagpip install`` and ``tagpip bundle`` wrote from a real index on
127.0.0.1. The failures are real too: an extension module that gcc links here against a glibc
symbol version the host's libc does not have (``GLIBC_2.99``), one whose ELF header names
another machine, a dependency a marker left out for the target, a module that segfaults on
import (ctypes) and one that never finishes importing. No test needs Docker: the Lambda recipe's
test runs only when a Docker engine and the runtime's image are present.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.errors import TagpipError, ValidationError
from tagpip.target.record import RECORD_NAME, read_record
from tagpip.verify.folder import FolderError, modules_of, open_folder
from tagpip.verify.verifier import SmokeCall, python_command, read_smoke_file, verify


def _pyenv_versions() -> Path:
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() if done.returncode == 0 else None
    return Path(root or os.path.expanduser("~/.pyenv")) / "versions"


PYENV = _pyenv_versions()


def pyenv_python(minor: str) -> str:
    """The newest pyenv CPython ``minor`` (``3.12``), or the test is skipped."""
    found = sorted(PYENV.glob(f"{minor}.*/bin/python"))
    if not found:
        pytest.skip(f"no pyenv CPython {minor}")
    return str(found[-1])


ON_GLIBC_X86_64 = sys.platform == "linux" and platform.machine() == "x86_64"
needs_linux_x86_64 = pytest.mark.skipif(
    not ON_GLIBC_X86_64, reason="builds and loads x86_64 Linux extension modules"
)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def install(
    server: IndexServer, dest: Path, capsys: pytest.CaptureFixture[str], *rest: str
) -> None:
    status, _, err = run(
        ["install", "--target", str(dest), "-i", server.url, "--no-cache-dir", "-q", *rest],
        capsys,
    )
    assert status == 0, err


CP312 = ("--python-version", "3.12", "--platform", "manylinux_2_17_x86_64")


# --- the extension modules the tests build ------------------------------------------------------


def future_glibc_extension(work: Path, name: str) -> bytes:
    """An extension module ``name`` (it exports ``PyInit_<name>``) that needs
    ``tagpip_future_symbol@GLIBC_2.99`` from libc.so.6: linked here against a stub that calls
    itself libc.so.6 and defines that version, so the dynamic loader, finding the real libc
    without it, refuses to load the module, as it does a wheel built on a newer system."""
    if shutil.which("gcc") is None:
        pytest.skip("no gcc to build the extension module")
    work.mkdir(parents=True, exist_ok=True)
    (work / "stub.c").write_text("int tagpip_future_symbol(void) { return 0; }\n")
    (work / "stub.map").write_text("GLIBC_2.99 { global: tagpip_future_symbol; local: *; };\n")
    (work / "ext.c").write_text(
        "extern int tagpip_future_symbol(void);\n"
        f"void *PyInit_{name}(void) {{ tagpip_future_symbol(); return 0; }}\n"
    )
    stub = work / "libc.so.6"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-nostdlib",
            "-o",
            str(stub),
            str(work / "stub.c"),
            "-Wl,-soname,libc.so.6",
            f"-Wl,--version-script={work / 'stub.map'}",
        ],
        check=True,
    )
    out = work / f"{name}.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-nostdlib", "-o", str(out), str(work / "ext.c"), str(stub)],
        check=True,
    )
    return out.read_bytes()


def for_machine(data: bytes, machine: int) -> bytes:
    """The same ELF file with another ``e_machine`` in its header (183: aarch64)."""
    patched = bytearray(data)
    patched[18:20] = machine.to_bytes(2, "little")
    return bytes(patched)


# --- a folder that imports -----------------------------------------------------------------------


def seed_good(server: IndexServer) -> None:
    server.add_wheel(
        "good-pkg",
        "1.0",
        requires_dist=["helper>=1"],
        extra_files={
            "good_pkg/core.py": "from helper import VALUE\n",
            "good_pkg/tests/__init__.py": "raise RuntimeError('tests are never imported')\n",
            "good_top.py": "import good_pkg.core\n",
            "conftest.py": "raise RuntimeError('conftest is never imported')\n",
            "nsone/portion.py": "NAME = 'a module in a namespace package'\n",
        },
    )
    server.add_wheel(
        "helper",
        "2.0",
        extra_files={"helper/__init__.py": "import sys\nprint('helper says hello')\nVALUE = 42\n"},
    )


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_a_folder_that_imports_passes_on_each_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], minor: str
) -> None:
    python = pyenv_python(minor)
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", "--from-python", python)
    status, out, err = run(["verify", str(dest), "--python", python], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"interpreter: CPython {minor}.")
    assert lines[0].endswith(f" ({python})")
    assert lines[1].startswith(f"made for:    CPython {minor}.")
    assert lines[1].endswith("(recorded by tagpip install 0.1.0)")
    assert lines[2:] == [
        "ok      good-pkg 1.0 (3 modules)",
        "ok      helper 2.0 (1 module)",
        "all 2 distributions import (4 modules)",
    ]
    # -B: the interpreter wrote no bytecode into the folder.
    assert not list(dest.rglob("__pycache__"))


def test_what_is_imported_comes_from_record_and_top_level(tmp_path: Path) -> None:
    """Top-level modules and packages, the regular packages inside a namespace package,
    extension modules by file; never test folders, conftest or setup; a plain .so that exports
    no PyInit_ function (a shared library next to the modules) is not an extension module."""
    site = tmp_path
    (site / "pkg").mkdir()
    (site / "pkg" / "_speed.so").write_bytes(b"\x7fELF....PyInit__speed\x00....")
    (site / "pkg" / "libhelper.so").write_bytes(b"\x7fELF.... no init here ....")
    (site / "legacy").mkdir()
    (site / "legacy" / "__init__.py").write_text("")
    files = [
        "pkg/__init__.py",
        "pkg/sub/__init__.py",
        "pkg/_speed.so",
        "pkg/libhelper.so",
        "pkg/_fast.cpython-312-x86_64-linux-gnu.so",
        "pkg/tests/test_it.py",
        "pkg/tests/_ext.abi3.so",
        "solo.py",
        "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
        "google/protobuf/__init__.py",
        "google/protobuf/message.py",
        "google/_upb/_message.abi3.so",
        "tests/__init__.py",
        "test/helpers.py",
        "conftest.py",
        "setup.py",
        "weird-name.py",
        "scripts-only/run.py",
        "bin/tool",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.data/scripts/x.py",
        "pkg/__pycache__/x.cpython-312.pyc",
    ]
    modules, extensions = modules_of(site, files, ["pkg", "legacy", "missing", "tests"])
    assert modules == ("legacy", "pkg", "solo", "google.protobuf")
    assert extensions == (
        "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
        "google/_upb/_message.abi3.so",
        "pkg/_fast.cpython-312-x86_64-linux-gnu.so",
        "pkg/_speed.so",
    )


# --- failures that must not hide each other ------------------------------------------------------


@needs_linux_x86_64
def test_an_extension_that_needs_a_newer_glibc_fails_with_the_loaders_words(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    ext = future_glibc_extension(tmp_path / "build", "_core")
    index_server.add_wheel(
        "fastlib",
        "1.0",
        tags="cp312-abi3-manylinux_2_17_x86_64",
        extra_files={"fastlib/__init__.py": "", "fastlib/_core.abi3.so": ext},
    )
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "fastlib", *CP312)
    status, out, _ = run(["verify", str(dest), "--python", python], capsys)
    assert status == 1
    lines = out.splitlines()
    # The package itself imports; its extension module does not load.
    assert lines[2].startswith("FAILED  fastlib 1.0: fastlib._core: ImportError: ")
    assert lines[2].endswith(
        f"libc.so.6: version `GLIBC_2.99' not found (required by {dest}/fastlib/_core.abi3.so)"
    )
    assert lines[3:] == ["1 of 1 distributions failed (1 of 2 imports failed)"]


@needs_linux_x86_64
def test_a_wheel_for_another_machine_is_named_as_such(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """glibc calls a shared object for another machine 'No such file or directory'; the
    report adds the machine the ELF header names. A file whose suffix names another platform
    is not loadable at all, and is said so with the suffixes the interpreter does load."""
    python = pyenv_python("3.12")
    ext = future_glibc_extension(tmp_path / "build", "_core")
    index_server.add_wheel(
        "armlib",
        "1.0",
        tags="cp312-abi3-manylinux_2_17_x86_64",
        extra_files={
            "armlib/__init__.py": "from armlib import _core\n",
            "armlib/_core.abi3.so": for_machine(ext, 183),
            "armlib/_other.cpython-312-aarch64-linux-gnu.so": for_machine(ext, 183),
        },
    )
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "armlib", *CP312)
    status, out, _ = run(["verify", str(dest), "--python", python], capsys)
    assert status == 1
    lines = out.splitlines()
    assert lines[2] == (
        f"FAILED  armlib 1.0: armlib: ImportError: {dest}/armlib/_core.abi3.so: cannot open "
        "shared object file: No such file or directory (armlib/_core.abi3.so is built for "
        "aarch64; this interpreter runs on x86_64)"
    )
    assert lines[3].startswith(
        "          armlib._other: armlib/_other.cpython-312-aarch64-linux-gnu.so is not an "
        "extension module this interpreter loads (it loads .cpython-312-x86_64-linux-gnu.so, "
    )
    assert lines[3].endswith(
        "(armlib/_other.cpython-312-aarch64-linux-gnu.so is built for aarch64; this "
        "interpreter runs on x86_64)"
    )
    assert lines[4:] == ["1 of 1 distributions failed (3 of 3 imports failed)"]


def test_a_wheel_for_another_python_is_said_in_one_line_and_an_error_names_its_cause(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cp311 wheel on CPython 3.12: its extension files are not ones 3.12 loads (one line for
    all of them), and the package's own ImportError (raised from the real one, as numpy does)
    shows where it came from."""
    python = pyenv_python("3.12")
    init = (
        "try:\n"
        "    import oldnum._core\n"
        "except ImportError as error:\n"
        "    raise ImportError('IMPORTANT: PLEASE READ THIS') from error\n"
    )
    index_server.add_wheel(
        "oldnum",
        "1.0",
        tags="cp311-cp311-manylinux_2_17_x86_64",
        extra_files={
            "oldnum/__init__.py": init,
            **{
                f"oldnum/{name}.cpython-311-x86_64-linux-gnu.so": b"never loaded"
                for name in ("_core", "_extra", "_more")
            },
        },
    )
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "oldnum", *CP312[:1], "3.11", *CP312[2:])
    status, out, _ = run(["verify", str(dest), "--python", python], capsys)
    assert status == 1
    suffixes = json.loads(
        subprocess.run(
            [
                python,
                "-c",
                "import json, importlib.machinery as m; print(json.dumps(m.EXTENSION_SUFFIXES))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    loads = ", ".join(sorted(suffixes, key=len, reverse=True))
    assert out.splitlines()[2:] == [
        "FAILED  oldnum 1.0: oldnum: ImportError: IMPORTANT: PLEASE READ THIS (from "
        "ModuleNotFoundError: No module named 'oldnum._core')",
        "          3 extension modules (oldnum._core, oldnum._extra and 1 more) end in "
        ".cpython-311-x86_64-linux-gnu.so, which this interpreter does not load "
        f"(it loads {loads})",
        "          its wheel is tagged cp311-cp311-manylinux_2_17_x86_64, which this interpreter "
        "does not run",
        "1 of 1 distributions failed (4 of 4 imports failed)",
    ]


def test_a_dependency_a_marker_left_out_for_the_target_is_missing_on_an_older_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.10")
    index_server.add_wheel(
        "modern",
        "1.0",
        requires_dist=['backport>=1; python_version < "3.11"'],
        extra_files={
            "modern/__init__.py": (
                "import sys\nif sys.version_info < (3, 11):\n    import backport\n"
            )
        },
    )
    index_server.add_wheel("backport", "1.0")
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "modern", *CP312)
    assert not list(dest.glob("backport*"))
    status, out, err = run(["verify", str(dest), "--python", python], capsys)
    assert status == 1
    assert out.splitlines()[1:] == [
        "made for:    CPython 3.12 on manylinux2014 x86_64 (recorded by tagpip install 0.1.0)",
        "FAILED  modern 1.0: modern: ModuleNotFoundError: No module named 'backport'",
        '          needs backport>=1; python_version < "3.11", which is not installed (left out '
        "for the target the folder was made for: its marker is false there)",
        "1 of 1 distributions failed (1 of 1 imports failed, 1 missing dependency)",
    ]
    assert err.startswith(
        f"tagpip: warning: this interpreter is not the target {dest} was made for (CPython 3.12 "
        "on manylinux2014 x86_64): it is Python 3.10, the target Python 3.12; its glibc "
    )


def test_a_module_with_a_standard_library_name_is_imported_as_a_fresh_interpreter_would(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """enum34 on Python 3: with the folder first on the path, ``import enum`` finds the
    backport, although the check itself had imported the standard enum before; the report
    says which standard module is shadowed."""
    python = pyenv_python("3.12")
    index_server.add_wheel(
        "enum34",
        "1.1.10",
        extra_files={
            "enum34/__init__.py": "",
            "enum.py": "raise ImportError('this enum is for Python 2')\n",
        },
    )
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "enum34", *CP312)
    status, out, _ = run(["verify", str(dest), "--python", python], capsys)
    assert status == 1
    standard = str(Path(python).resolve().parent.parent / "lib" / "python3.12" / "enum.py")
    assert out.splitlines()[2:] == [
        "FAILED  enum34 1.1.10: enum: ImportError: this enum is for Python 2",
        f"          its module enum shadows the standard library's ({standard})",
        "1 of 1 distributions failed (1 of 2 imports failed)",
    ]


def seed_crashes(server: IndexServer) -> None:
    server.add_wheel(
        "crashy",
        "1.0",
        extra_files={
            # The first module kills the interpreter; the second must still be tried.
            "crashy/__init__.py": "import ctypes\nctypes.string_at(0)\n",
            "crashy_fine.py": "FINE = True\n",
        },
    )
    server.add_wheel(
        "hangs",
        "1.0",
        extra_files={
            "hangs/__init__.py": "import threading\nthreading.Event().wait()\n",
            "hangs_fine.py": "FINE = True\n",
        },
    )
    server.add_wheel("exits", "1.0", extra_files={"exits/__init__.py": "import os\nos._exit(3)\n"})
    server.add_wheel(
        "raises", "1.0", extra_files={"raises/__init__.py": "raise SystemExit('no, thanks')\n"}
    )
    server.add_wheel("zzz-fine", "1.0")


EXPECTED_CRASHES = [
    "FAILED  crashy 1.0: crashy: crashed the interpreter (SIGSEGV)",
    "FAILED  exits 1.0: exits: ended the interpreter on import (exit status 3)",
    "FAILED  hangs 1.0: hangs: still importing after 1 s (the time limit, --timeout); stopped",
    "FAILED  raises 1.0: raises: SystemExit: no, thanks",
    "ok      zzz-fine 1.0 (1 module)",
    "4 of 5 distributions failed (4 of 7 imports failed)",
]


@pytest.mark.slow
def test_a_segfault_and_a_hang_hide_nothing_else(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_crashes(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "crashy", "hangs", "exits", "raises", "zzz-fine", *CP312)
    status, out, _ = run(["verify", str(dest), "--python", python, "--timeout", "1"], capsys)
    assert status == 1
    assert out.splitlines()[2:] == EXPECTED_CRASHES
    status, out, _ = run(
        ["verify", str(dest), "--python", python, "--timeout", "1", "--json"], capsys
    )
    report = json.loads(out)
    crashy = report["distributions"][0]
    assert [(m["module"], m["status"], m.get("detail")) for m in crashy["modules"]] == [
        ("crashy", "crashed", "SIGSEGV"),
        ("crashy_fine", "ok", None),
    ]
    hangs = report["distributions"][2]
    assert [(m["module"], m["status"]) for m in hangs["modules"]] == [
        ("hangs", "timeout"),
        ("hangs_fine", "ok"),
    ]


def test_without_fork_each_child_is_a_fresh_interpreter_and_hides_nothing_either(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where there is no ``os.fork`` (Windows) the check starts ``sys.executable`` for each
    child instead; the same crashes and hang give the same results."""
    python = pyenv_python("3.12")
    seed_crashes(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "crashy", "hangs", "exits", "raises", "zzz-fine", *CP312)
    report = verify(dest, [python], timeout=1, spawn=True)
    assert not report.ok
    summary = [
        (result.display, [(item.module, item.status, item.detail) for item in result.outcomes])
        for result in report.distributions
    ]
    assert summary == [
        ("crashy", [("crashy", "crashed", "SIGSEGV"), ("crashy_fine", "ok", "")]),
        ("exits", [("exits", "exited", "3")]),
        ("hangs", [("hangs", "timeout", ""), ("hangs_fine", "ok", "")]),
        ("raises", [("raises", "error", "")]),
        ("zzz-fine", [("zzz_fine", "ok", "")]),
    ]


# --- the command line ----------------------------------------------------------------------------


def test_a_command_line_with_spaces_and_quotes(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--python`` is split as a shell splits it: a quoted path with spaces is one word, a
    quoted argument with spaces another; a path that exists is taken whole, unquoted."""
    python = pyenv_python("3.12")
    seed_good(index_server)
    dest = tmp_path / "my deps"
    install(index_server, dest, capsys, "good-pkg", *CP312)
    tools = tmp_path / "my tools"
    tools.mkdir()
    wrapper = tools / "run python.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        '[ "$1" = "--label" ] && [ "$2" = "two words" ] || { echo "bad arguments: $*" >&2; '
        "exit 9; }\n"
        "shift 2\n"
        'exec "$@"\n'
    )
    wrapper.chmod(0o755)
    command = f'"{wrapper}" --label "two words" {shlex.quote(python)}'
    assert python_command(command) == (str(wrapper), "--label", "two words", python)
    status, out, err = run(["verify", str(dest), "--python", command], capsys)
    assert (status, err.count("warning")) == (0, 1), err
    assert out.splitlines()[0].endswith(f"('{wrapper}' --label 'two words' {python})")
    assert out.splitlines()[-1] == "all 2 distributions import (4 modules)"
    # An existing path with spaces needs no quotes.
    assert python_command(str(wrapper)) == (str(wrapper),)


def test_a_zip_a_layer_zip_and_a_layer_folder(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_good(index_server)
    common = ["good-pkg", "-i", index_server.url, "--cache-dir", str(tmp_path / "cache"), "-q"]
    common += ["--from-python", python]
    outputs = {
        "function.zip": [],
        "layer.zip": ["--layer"],
        "layer-dir": ["--layer", "--dir"],
    }
    for name, extra in outputs.items():
        status, _, err = run(["bundle", *common, "-o", str(tmp_path / name), *extra], capsys)
        assert status == 0, err
    assert RECORD_NAME in zipfile.ZipFile(tmp_path / "function.zip").namelist()
    assert f"python/{RECORD_NAME}" in zipfile.ZipFile(tmp_path / "layer.zip").namelist()
    for name, kind, site in [
        ("function.zip", "zip", ""),
        ("layer.zip", "layer zip", "python"),
        ("layer-dir", "layer folder", "python"),
    ]:
        status, out, err = run(["verify", str(tmp_path / name), "--python", python], capsys)
        assert (status, err) == (0, ""), (name, err)
        assert out.splitlines()[2:] == [
            "ok      good-pkg 1.0 (3 modules)",
            "ok      helper 2.0 (1 module)",
            "all 2 distributions import (4 modules)",
        ]
        report = verify(tmp_path / name, [python])
        assert (report.kind, report.site) == (kind, site)
        assert report.recorded is not None
        assert report.recorded.made_by == "tagpip bundle"
    # A zip's unpacked copy is gone afterwards.
    zipped = verify(tmp_path / "layer.zip", [python])
    # ... which was next to the zip, for a container that mounts the zip's folder as it is.
    assert Path(zipped.inside).parents[1].name.startswith(".tagpip-verify-")
    assert Path(zipped.inside).parents[2] == tmp_path
    assert not Path(zipped.inside).exists()


def test_inside_and_dir_stand_for_where_a_container_mounts_the_folder(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrapper that 'mounts' ``{dir}`` at another path (a symbolic link, as ``docker run -v``
    would bind it) and runs Python: ``--inside`` is where Python sees the folder."""
    python = pyenv_python("3.12")
    seed_good(index_server)
    status, _, err = run(
        [
            "bundle",
            "good-pkg",
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
            *CP312,
            "-o",
            str(tmp_path / "function.zip"),
        ],
        capsys,
    )
    assert status == 0, err
    mount = tmp_path / "mnt" / "task"
    wrapper = tmp_path / "mount-and-run.sh"
    wrapper.write_text(
        '#!/bin/sh\nmkdir -p "$(dirname "$2")"\nln -sfn "$1" "$2"\nshift 2\nexec "$@"\n'
    )
    wrapper.chmod(0o755)
    command = f"{wrapper} {{dir}} {mount} {python}"
    zipped = str(tmp_path / "function.zip")
    status, out, _ = run(["verify", zipped, "--python", command, "--inside", str(mount)], capsys)
    assert status == 0
    assert out.splitlines()[-1] == "all 2 distributions import (4 modules)"
    report = verify(tmp_path / "function.zip", python_command(command), inside=str(mount))
    assert report.inside == str(mount)
    assert report.interpreter.sys_path[0] == str(mount)

    # A zip with --inside needs {dir}: the unpacked copy's path is tagpip's to choose.
    status, _, err = run(["verify", zipped, "--python", python, "--inside", str(mount)], capsys)
    assert status == 2
    assert "put {dir} in the --python command" in err
    # A path the interpreter does not see.
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", *CP312)
    status, _, err = run(
        ["verify", str(dest), "--python", python, "--inside", str(tmp_path / "nowhere")], capsys
    )
    assert status == 1
    assert err == (
        f"error: the interpreter does not see the folder at {tmp_path / 'nowhere'}\n"
        "hint: when the command mounts the folder elsewhere (a container, a chroot), say where "
        "with --inside PATH, and mount {dir}\n"
    )


def test_json_report_for_ci(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", *CP312)
    status, out, _ = run(["verify", str(dest), "--python", python, "--json"], capsys)
    assert status == 0
    report = json.loads(out)
    for item in report["distributions"]:
        for module in item["modules"]:
            assert isinstance(module.pop("seconds"), float)
    # The docs page's example has every field the report has, at every level.
    example = json.loads(_docs_block("test_json_report_for_ci -->"))
    assert example.keys() == report.keys()
    assert example["interpreter"].keys() == report["interpreter"].keys()
    assert example["target"].keys() == report["target"].keys()
    assert example["summary"].keys() == report["summary"].keys()
    assert example["distributions"][0].keys() == report["distributions"][0].keys()
    interpreter = report.pop("interpreter")
    assert interpreter["command"] == [python]
    assert interpreter["implementation"] == "cpython"
    assert interpreter["version"].startswith("3.12.")
    assert interpreter["sys_path"][0] == str(dest)
    assert report == {
        "version": 1,
        "ok": True,
        "path": str(dest),
        "kind": "folder",
        "site": "",
        "inside": str(dest),
        "target": {
            "description": "CPython 3.12 on manylinux2014 x86_64",
            "made_by": "tagpip install",
            "tagpip_version": "0.1.0",
        },
        "differences": report["differences"],
        "warnings": [],
        "distributions": [
            {
                "name": "good-pkg",
                "version": "1.0",
                "ok": True,
                "skipped": False,
                "modules": [
                    {"module": "good_pkg", "status": "ok"},
                    {"module": "good_top", "status": "ok"},
                    {"module": "nsone.portion", "status": "ok"},
                ],
                "missing": [],
                "unfit_tags": [],
            },
            {
                "name": "helper",
                "version": "2.0",
                "ok": True,
                "skipped": False,
                "modules": [{"module": "helper", "status": "ok"}],
                "missing": [],
                "unfit_tags": [],
            },
        ],
        "smoke": [],
        "summary": {
            "distributions": 2,
            "failed": 0,
            "imports": 4,
            "imports_failed": 0,
            "smoke": 0,
            "smoke_failed": 0,
        },
    }


def test_smoke_calls_and_skips(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_good(index_server)
    seed_crashes(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", "crashy", *CP312)
    smoke = tmp_path / "smoke.txt"
    smoke.write_text(
        "# module:expression, in the module's namespace\n"
        "helper: VALUE == 42\n"
        "good_pkg.core:VALUE + 1\n"
        "\n"
        "helper:VALUE == 41\n"
        "json:loads('{')\n"
        "good_top\n"
    )
    status, out, _ = run(
        ["verify", str(dest), "--python", python, "--smoke", str(smoke), "--skip", "crashy"],
        capsys,
    )
    assert status == 1
    assert out.splitlines()[2:] == [
        "skipped crashy 1.0 (--skip)",
        "ok      good-pkg 1.0 (3 modules)",
        "ok      helper 2.0 (1 module)",
        "ok      smoke helper:VALUE == 42",
        "ok      smoke good_pkg.core:VALUE + 1",
        "FAILED  smoke helper:VALUE == 41: evaluated to False",
        "FAILED  smoke json:loads('{'): json.decoder.JSONDecodeError: Expecting property name "
        "enclosed in double quotes: line 1 column 2 (char 1)",
        "ok      smoke good_top",
        "all 2 distributions import (4 modules); 2 of 5 smoke calls failed",
    ]
    # --skip takes a module (and all under it) too, and -q prints only what failed.
    status, out, _ = run(
        ["verify", str(dest), "--python", python, "--skip", "crashy", "--skip", "nsone", "-q"],
        capsys,
    )
    assert (status, out) == (0, "all 2 distributions import (3 modules)\n")


def test_verbose_shows_the_path_what_else_is_seen_and_what_the_interpreter_printed(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", *CP312)
    status, out, err = run(["verify", str(dest), "--python", python, "-v"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[2].startswith(f"sys.path: {dest}, ")
    # pyenv's own site-packages holds pip: seen, and counted as installed, never imported.
    assert any(line.startswith("also seen: pip ") for line in lines)
    # helper prints as it is imported: in good-pkg's child (good_pkg.core imports it), and in
    # its own.
    assert err.endswith("the interpreter's standard error:\n" + "helper says hello\n" * 2)
    # Without its site-packages (-S), the interpreter sees nothing outside the folder.
    report = verify(dest, [python], site_packages=False)
    assert report.interpreter.visible == ()


def test_a_smoke_file_with_bad_lines_is_refused_whole(tmp_path: Path) -> None:
    smoke = tmp_path / "smoke.txt"
    smoke.write_text("json:dumps([1])\n3d:x\n  json:\n:x\nos.path\n")
    with pytest.raises(ValidationError) as caught:
        read_smoke_file(smoke)
    found = [(d.message, d.span.line, d.span.column) for d in caught.value.diagnostics if d.span]
    assert found == [
        ("'3d' is not a module name", 2, 1),
        ("no expression after ':'", 3, 8),
        ("no module before ':'", 4, 1),
    ]
    smoke.write_text("json:dumps([1])\nos.path\n")
    assert read_smoke_file(smoke) == (
        SmokeCall("json", "dumps([1])", 1, str(smoke)),
        SmokeCall("os.path", None, 2, str(smoke)),
    )


DOCS = Path(__file__).resolve().parent.parent / "docs" / "verify.md"


def _docs_block(marker: str) -> str:
    """The fenced block right after ``marker`` on docs/verify.md."""
    text = DOCS.read_text(encoding="utf-8")
    after = text[text.index(marker) :]
    start = after.index("```")
    body = after[after.index("\n", start) + 1 :]
    return body[: body.index("```")]


def test_the_smoke_file_on_the_docs_page_reads(tmp_path: Path) -> None:
    smoke = tmp_path / "smoke.txt"
    smoke.write_text(_docs_block("test_the_smoke_file_on_the_docs_page_reads -->"))
    assert [str(call) for call in read_smoke_file(smoke)] == [
        'yaml:safe_load("a: 1") == {"a": 1}',
        'cryptography.fernet:Fernet(Fernet.generate_key()).encrypt(b"ok")',
        "lambda_function",
    ]


# --- interpreters that cannot do it, and things that are not folders -----------------------------


def test_interpreters_that_cannot_run_the_check(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", *CP312)
    cases = [
        (
            "sh -c 'exit 0'",
            "error: sh -c 'exit 0' read no check: it exited at once, without a word\n"
            "hint: a container needs -i to get its standard input (docker run -i ...); a "
            "wrapper script must pass its arguments and its standard input on to Python\n",
        ),
        (
            str(tmp_path / "no-such-python"),
            f"error: cannot run {tmp_path / 'no-such-python'}: no such file or command\n"
            "hint: --python takes the interpreter's path or a command line that runs it\n",
        ),
        (
            "sh -c 'echo nope >&2; exit 4'",
            "error: sh -c 'echo nope >&2; exit 4' exited (4) before it reported itself: nope\n"
            "hint: --python takes a Python interpreter (3.6 or later) or a command line that "
            "runs one, passing on its arguments and its standard input\n",
        ),
    ]
    for command, expected in cases:
        status, out, err = run(["verify", str(dest), "--python", command], capsys)
        assert (status, out, err) == (1, "", expected), command
    old = sorted(PYENV.glob("2.7.*/bin/python"))
    if old:
        status, _, err = run(["verify", str(dest), "--python", str(old[-1])], capsys)
        assert (status, err) == (
            1,
            f"error: the interpreter is Python {old[-1].parent.parent.name}; tagpip verify "
            "needs Python 3.6 or later\n",
        )


def test_python_36_runs_the_check_too(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.6")
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", "--from-python", python)
    status, out, err = run(["verify", str(dest), "--python", python], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "all 2 distributions import (4 modules)"


def test_what_is_not_a_folder_to_verify(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("x-1.0.dist-info/METADATA", "Name: x\nVersion: 1.0\n")
        archive.writestr("../escaped.py", "")
    cases = {
        tmp_path / "missing": "no such folder or zip",
        tmp_path / "notes.txt": "is neither a folder nor a zip",
        tmp_path / "empty": "holds no installed distributions",
        evil: "the member '../escaped.py' would land outside the folder",
    }
    for path, words in cases.items():
        with pytest.raises(FolderError, match=words.replace("(", r"\(")), open_folder(path):
            pass
    assert not (tmp_path / "escaped.py").exists()


# --- the target record and --verify -------------------------------------------------------------


def test_the_record_reads_back_as_a_target_file_and_a_new_target_is_warned_of(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", "--preset", "aws-lambda-python3.12-x86_64")
    recorded = read_record(dest)
    assert recorded is not None
    assert recorded.target.describe() == "CPython 3.12 on manylinux_2_34 x86_64"
    status, out, err = run(["tags", "--target-file", str(dest / RECORD_NAME), "--json"], capsys)
    assert status == 0, err
    assert json.loads(out)["description"] == "CPython 3.12 on manylinux_2_34 x86_64"
    status, out, err = run(
        [
            "install",
            "--target",
            str(dest),
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-U",
            "good-pkg",
            *CP312,
        ],
        capsys,
    )
    assert status == 0
    assert err == (
        f"warning: {dest} held projects installed for CPython 3.12 on manylinux_2_34 x86_64; "
        "its target record now names CPython 3.12 on manylinux2014 x86_64, the target of this "
        "run\n"
    )
    # The same bytes again: the record is left alone (and nothing is said).
    before = (dest / RECORD_NAME).stat().st_mtime_ns
    install(index_server, dest, capsys, "good-pkg", *CP312)
    assert (dest / RECORD_NAME).stat().st_mtime_ns == before


def test_install_and_bundle_verify_what_they_wrote(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    seed_good(index_server)
    seed_crashes(index_server)
    common = ["-i", index_server.url, "--cache-dir", str(tmp_path / "cache"), *CP312]
    dest = tmp_path / "deps"
    status, out, err = run(
        ["install", "good-pkg", "--target", str(dest), *common, "--verify", python], capsys
    )
    assert (status, err.count("error")) == (0, 0), err
    assert out.splitlines()[0] == "Successfully installed good-pkg-1.0 helper-2.0"
    assert out.splitlines()[-1] == "all 2 distributions import (4 modules)"

    status, out, err = run(
        [
            "bundle",
            "good-pkg",
            "raises",
            "-o",
            str(tmp_path / "f.zip"),
            *common,
            "--verify",
            python,
            "-q",
        ],
        capsys,
    )
    assert status == 1
    assert out == (
        "FAILED  raises 1.0: raises: SystemExit: no, thanks\n"
        "1 of 3 distributions failed (1 of 5 imports failed)\n"
    )
    assert err.endswith(
        f"error: --verify: 1 of 3 distributions failed (1 of 5 imports failed) with {python}; "
        f"{tmp_path / 'f.zip'} was written and is left in place\n"
        f"hint: see the lines above; run tagpip verify {tmp_path / 'f.zip'} --python ... --json "
        "for details\n"
    )
    assert (tmp_path / "f.zip").is_file()

    # With --report -, standard output is the installation report alone.
    report_too = ["--verify", python, "--report", "-", "-q"]
    status, out, err = run(
        ["install", "good-pkg", "--target", str(dest), *common, *report_too], capsys
    )
    assert status == 0, err
    assert json.loads(out)["install"][0]["metadata"]["name"] == "good-pkg"
    assert err.splitlines()[-1] == "all 2 distributions import (4 modules)"

    # Usage is checked before anything is written.
    for extra, words in [
        (["--verify-inside", "/var/task"], "--verify-inside and --verify-smoke need --verify"),
        (["--verify", python, "--print-pip"], "--verify needs an install"),
    ]:
        status, _, err = run(
            ["install", "good-pkg", "--target", str(tmp_path / "other"), *common, *extra], capsys
        )
        assert status == 2
        assert words in err
    assert not (tmp_path / "other").exists()


# --- the recipes --------------------------------------------------------------------------------


def _docker_image(image: str) -> bool:
    if shutil.which("docker") is None:
        return False
    for command in (["docker", "info"], ["docker", "image", "inspect", image]):
        try:
            done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if done.returncode != 0:
            return False
    return True


LAMBDA_IMAGE = "public.ecr.aws/lambda/python:3.12"


@pytest.mark.slow
def test_the_lambda_recipe_with_the_runtimes_container_image(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/recipes/verify-lambda.md: only where a Docker engine runs and has the image
    (tagpip's tests never pull it)."""
    if not _docker_image(LAMBDA_IMAGE):
        pytest.skip(f"no Docker engine with {LAMBDA_IMAGE}")
    seed_good(index_server)
    status, _, err = run(
        [
            "bundle",
            "good-pkg",
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
            "--preset",
            "aws-lambda-python3.12-x86_64",
            "-o",
            str(tmp_path / "function.zip"),
        ],
        capsys,
    )
    assert status == 0, err
    command = f"docker run --rm -i -v {{dir}}:/var/task:ro --entrypoint python3 {LAMBDA_IMAGE}"
    status, out, err = run(
        ["verify", str(tmp_path / "function.zip"), "--python", command, "--inside", "/var/task"],
        capsys,
    )
    assert status == 0, err
    assert out.splitlines()[0].startswith("interpreter: CPython 3.12.")
    assert out.splitlines()[-1] == "all 2 distributions import (4 modules)"


def test_the_pyenv_recipe(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/recipes/verify-pyenv.md: install for a pyenv Python's own facts, verify with it."""
    python = pyenv_python("3.11")
    seed_good(index_server)
    dest = tmp_path / "deps"
    status, _, err = run(
        [
            "install",
            "good-pkg",
            "--target",
            str(dest),
            "-i",
            index_server.url,
            "-q",
            "--from-python",
            python,
            "--verify",
            python,
        ],
        capsys,
    )
    assert (status, err) == (0, "")


@pytest.mark.slow
def test_the_arm_recipe_with_qemu_user(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/recipes/verify-arm.md: only with qemu-aarch64 and an arm64 root file system holding
    Python 3 (TAGPIP_TEST_ARM64_ROOTFS names it)."""
    rootfs = os.environ.get("TAGPIP_TEST_ARM64_ROOTFS")
    if not shutil.which("qemu-aarch64") or not rootfs:
        pytest.skip("no qemu-aarch64 and TAGPIP_TEST_ARM64_ROOTFS")
    seed_good(index_server)
    dest = tmp_path / "deps"
    install(index_server, dest, capsys, "good-pkg", "--preset", "aws-lambda-python3.12-arm64")
    command = f"qemu-aarch64 -L {rootfs} {rootfs}/usr/bin/python3"
    status, out, err = run(["verify", str(dest), "--python", command, "--timeout", "300"], capsys)
    assert status == 0, err
    assert " aarch64" in out.splitlines()[0]


def test_errors_are_tagpip_errors() -> None:
    with pytest.raises(TagpipError):
        python_command("  ")
    with pytest.raises(TagpipError):
        python_command("'unclosed quote")


def test_the_check_source_is_used_as_is() -> None:
    """The check runs on any interpreter: it must at least compile on this one, as text."""
    from tagpip.verify.script import CHECK_SOURCE

    compile(CHECK_SOURCE, "<check>", "exec")
    assert textwrap.dedent(CHECK_SOURCE) == CHECK_SOURCE
