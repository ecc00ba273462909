"""Live PyPI tests (opt-in: ``pytest -m pypi``): the seed case and comparisons with real peers.

- The seed case: five old pins for CPython 3.6 on manylinux1 must come with every dependency a
  real 3.6 needs (pip 26 run on a newer host drops importlib-metadata, because it evaluates
  ``python_version < "3.8"`` on the host), install with CPython 3.6's own pip from the folder
  alone, and import there.
- Against a real interpreter's own pip: for the host, ``tagpip download --from-python P`` picks
  the very files ``P -m pip download`` picks.
- Against uv: for foreign targets, the same versions as ``uv pip compile --python-platform``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pypi

PYENV = Path(os.path.expanduser("~/.pyenv/versions"))
SEED = """\
cryptography==3.2[manylinux1,cp36,x86_64]
jsonschema==3.2.0[manylinux1,cp36,x86_64]
requests==2.25.1[manylinux1,cp36,x86_64]
PyYAML==5.4.1[manylinux1,cp36,x86_64]
numpy==1.19.5[manylinux1,cp36,x86_64]
"""


def interpreter(version: str) -> Path | None:
    found = sorted(PYENV.glob(f"{version}.*/bin/python"))
    return found[-1] if found else None


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    return env


def tagpip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tagpip", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
        timeout=600,
    )


def wheel_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.whl"))


def test_seed_case_installs_and_imports_on_cpython36(tmp_path: Path) -> None:
    py36 = interpreter("3.6")
    if py36 is None:
        pytest.skip("CPython 3.6 is not installed with pyenv")
    req = tmp_path / "requirements.txt"
    req.write_text(SEED)
    wheels = tmp_path / "wheels"
    result = tagpip("download", "-q", "-r", str(req), "-d", str(wheels), "--no-cache-dir")
    assert result.returncode == 0, result.stderr
    names = wheel_names(wheels)
    assert any(n.startswith("importlib_metadata-") for n in names), names
    assert "cryptography-3.2-cp35-abi3-manylinux1_x86_64.whl" in names
    assert "numpy-1.19.5-cp36-cp36m-manylinux1_x86_64.whl" in names
    site = tmp_path / "site"
    pins = [line.split("[")[0] for line in SEED.splitlines()]
    install = subprocess.run(
        [
            str(py36),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheels),
            "--target",
            str(site),
            "--disable-pip-version-check",
            *pins,
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    imported = subprocess.run(
        [str(py36), "-c", "import cryptography.fernet, jsonschema, requests, yaml, numpy"],
        capture_output=True,
        text=True,
        env={**clean_env(), "PYTHONPATH": str(site)},
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


@pytest.mark.parametrize("version", ["3.9", "3.12"])
def test_same_files_as_the_interpreters_own_pip(version: str, tmp_path: Path) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"CPython {version} is not installed with pyenv")
    reqs = ["requests==2.32.3", "PyYAML==6.0.2", "numpy<2.1", "cryptography==43.0.3"]
    ours, theirs = tmp_path / "tagpip", tmp_path / "pip"
    result = tagpip(
        "download", "-q", "--from-python", str(python), "-d", str(ours), "--no-cache-dir", *reqs
    )
    assert result.returncode == 0, result.stderr
    pip = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "download",
            "-q",
            "--only-binary=:all:",
            "-d",
            str(theirs),
            "--disable-pip-version-check",
            "--no-cache-dir",
            *reqs,
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert pip.returncode == 0, pip.stderr
    assert wheel_names(ours) == wheel_names(theirs)


PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.MULTILINE)


@pytest.mark.parametrize(
    ("platform", "uv_platform", "version"),
    [
        ("manylinux_2_28_aarch64", "aarch64-manylinux_2_28", "3.11"),
        ("win_amd64", "x86_64-pc-windows-msvc", "3.12"),
        ("macosx_11_0_arm64", "aarch64-apple-darwin", "3.13"),
    ],
)
def test_same_versions_as_uv(platform: str, uv_platform: str, version: str, tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    reqs = tmp_path / "requirements.in"
    reqs.write_text("requests\nPyYAML\ncryptography\npydantic\n")
    report = tmp_path / "report.json"
    result = tagpip(
        "download",
        "-q",
        "-r",
        str(reqs),
        "-d",
        str(tmp_path / "w"),
        "--platform",
        platform,
        "--python-version",
        version,
        "--no-cache-dir",
        "--report",
        str(report),
    )
    assert result.returncode == 0, result.stderr
    import json

    ours = {
        (i["metadata"]["name"].lower().replace("_", "-"), i["metadata"]["version"])
        for i in json.loads(report.read_text())["install"]
    }
    compiled = subprocess.run(
        [
            uv,
            "pip",
            "compile",
            "--no-header",
            "--no-annotate",
            "--python-platform",
            uv_platform,
            "--python-version",
            version,
            "--only-binary",
            ":all:",
            "--cache-dir",
            str(tmp_path / "uvcache"),
            str(reqs),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    theirs = {(n.lower().replace("_", "-"), v) for n, v in PIN.findall(compiled.stdout)}
    assert ours == theirs


LAMBDA = "aws-lambda-python3.12-x86_64"


@pytest.mark.parametrize(
    ("project", "built", "module"),
    [("feedparser==6.0.11", "sgmllib3k", "feedparser"), ("docopt", "docopt", "docopt")],
)
def test_sdist_only_projects_arrive_as_pure_wheels_on_lambda(
    tmp_path: Path, project: str, built: str, module: str
) -> None:
    """feedparser 6.0.11 needs sgmllib3k, which publishes only an sdist; docopt publishes only an
    sdist. On the Lambda preset, download writes wheels only, the built one passes the purity
    check, and ``install --target`` of the same imports on a real Python 3.12 when pyenv has one
    (newer feedparsers depend on feedparser-sgmllib, which ships a wheel: hence the pin)."""
    from tagpip.build.builder import check_pure
    from tagpip.target.presets import preset

    cache = str(tmp_path / "cache")
    dest = tmp_path / "w"
    done = tagpip("download", project, "-d", str(dest), "--preset", LAMBDA, "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in dest.iterdir())
    assert names
    assert all(n.endswith(".whl") for n in names), names
    assert f"building {built} " in done.stderr
    wheel = next(p for p in dest.iterdir() if p.name.startswith(built + "-"))
    assert wheel.name.endswith("-none-any.whl")
    check_pure(wheel, built, wheel.name.split("-")[1], preset(LAMBDA))
    python = interpreter("3.12")
    if python is None:
        pytest.skip("no pyenv Python 3.12 to import on")
    deps = tmp_path / "deps"
    done = tagpip(
        "install", project, "--target", str(deps), "--preset", LAMBDA, "--cache-dir", cache
    )
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr  # the cache holds the build
    imported = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__name__)"],
        env={**clean_env(), "PYTHONPATH": str(deps)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.stdout.strip() == module, imported.stderr


# -- wheels first, on real releases (issue: wheels first) --------------------------------------

ARM_311 = ["--platform", "manylinux2014_aarch64", "--python-version", "3.11"]


def _cache(tmp_path: Path) -> list[str]:
    return ["--cache-dir", str(tmp_path / "cache")]


def test_greenlet_for_old_aarch64_takes_the_newest_wheel(tmp_path: Path) -> None:
    """greenlet's newest releases ship no manylinux2014 aarch64 wheel, only a C++ sdist: tagpip
    takes the newest version that has one, as pip --only-binary :all: and uv do, compiles
    nothing, and says so in one line."""
    dest = tmp_path / "w"
    done = tagpip("download", "SQLAlchemy==2.0.30", "-d", str(dest), *ARM_311, *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr
    greenlet = next(n for n in wheel_names(dest) if n.startswith("greenlet-"))
    assert greenlet.startswith("greenlet-3.2.5-"), greenlet
    note = re.search(
        r"^note: greenlet 3\.2\.5, not (\S+): \1 ships only an sdist", done.stderr, re.M
    )
    assert note is not None, done.stderr
    assert "wheels come first" in done.stderr
    assert "--prefer-source greenlet" in done.stderr


def test_polars_for_python38_aarch64_takes_a_wheel(tmp_path: Path) -> None:
    """polars' later releases for Python 3.8 on aarch64 are Rust sdists only: tagpip takes a
    wheel, as uv does (0.19.12 when this was written), and never starts cargo."""
    dest = tmp_path / "w"
    target = ["--platform", "manylinux2014_aarch64", "--python-version", "3.8"]
    done = tagpip("download", "polars", "--no-deps", "-d", str(dest), *target, *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr
    assert wheel_names(dest) == [
        "polars-0.19.12-cp38-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    ]


def test_a_pinned_compiled_sdist_fails_fast_without_a_compiler(tmp_path: Path) -> None:
    """numpy 2.3.0 has no manylinux2014 wheel for 3.12: pinned, it fails at once, reading the
    sdist (meson-python) instead of compiling for ten minutes, and names 2.2.6."""
    import time

    started = time.monotonic()
    target = ["--platform", "manylinux2014_x86_64", "--python-version", "3.12"]
    done = tagpip("download", "numpy==2.3.0", "-d", str(tmp_path / "w"), *target, *_cache(tmp_path))
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "building" not in done.stderr
    assert (
        "passed over numpy 2.3.0: its sdist needs compiling (its build backend is "
        "meson-python); nothing was built"
    ) in done.stderr.splitlines()
    assert "hint: numpy 2.2.6 is the newest version with a wheel for this target" in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 60, elapsed


@pytest.mark.parametrize("project", ["pycrypto==2.6.1", "netifaces==0.11.0"])
def test_c_sdists_for_windows_are_refused_without_gcc(tmp_path: Path, project: str) -> None:
    target = ["--platform", "win_amd64", "--python-version", "3.11"]
    done = tagpip("download", project, "-d", str(tmp_path / "w"), *target, *_cache(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "building" not in done.stderr
    assert "its sdist needs compiling (setup.py declares extension modules" in done.stderr


def test_lambda_runtimes_at_once_take_an_older_numpy_where_glibc_is_old(tmp_path: Path) -> None:
    """numpy with cryptography, pydantic and requests, locked for python3.12 x86_64 and arm64
    and python3.11 x86_64 at once: Amazon Linux 2's glibc 2.26 gets an older numpy with a
    manylinux2014 wheel; nothing is compiled and the lock is written."""
    lock = tmp_path / "pylock.toml"
    presets = [
        "--preset", "aws-lambda-python3.12-x86_64",
        "--preset", "aws-lambda-python3.12-arm64",
        "--preset", "aws-lambda-python3.11-x86_64",
    ]  # fmt: skip
    reqs = ["numpy", "cryptography", "pydantic", "requests"]
    done = tagpip("lock", *reqs, *presets, "-o", str(lock), *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr
    assert lock.exists()
    assert re.search(
        r"^note: numpy \S+, not \S+: \S+ ships only an sdist for CPython 3\.11", done.stderr, re.M
    ), done.stderr


def test_a_pinned_extras_node_backtracks_past_a_newer_sdist_on_lambda_arm64(tmp_path: Path) -> None:
    """sentry-sdk[fastapi]<2 with fastapi[standard] for python3.12 arm64: fastapi-cloud-cli
    wants sentry-sdk>=2.20, whose newest release was offered as an sdist to the extras node
    pinned to 1.45.1, and the lock stopped with an internal error; uv (and now tagpip) take
    an older fastapi-cli instead."""
    lock = tmp_path / "lock.txt"
    reqs = ["sentry-sdk[fastapi]<2.0.0,>=1.40.6", "fastapi[standard]<1.0.0,>=0.114.2"]
    target = ["--preset", "aws-lambda-python3.12-arm64"]
    done = tagpip("lock", *reqs, *target, "-o", str(lock), *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    assert re.search(r"^sentry-sdk==1\.", lock.read_text(), re.M), lock.read_text()


def test_redis_for_windows_311_includes_its_patch_level_dependency(tmp_path: Path) -> None:
    dest = tmp_path / "w"
    target = ["--platform", "win_amd64", "--python-version", "3.11"]
    done = tagpip("download", "redis==8.2.0", "-d", str(dest), *target, *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert any(n.startswith("async_timeout-") for n in wheel_names(dest)), wheel_names(dest)
    assert "the target gives no patch level, so tagpip included it" in done.stderr


@pytest.mark.parametrize("project", ["opentracing==2.4.0", "promise==2.3", "pybars3==0.9.7"])
def test_real_pure_sdist_only_projects_are_still_built_for_lambda(
    tmp_path: Path, project: str
) -> None:
    dest = tmp_path / "w"
    done = tagpip("download", project, "-d", str(dest), "--preset", LAMBDA, *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert re.search(r"^built \S+-none-any\.whl: pure Python", done.stderr, re.M), done.stderr
    assert all(n.endswith(".whl") for n in os.listdir(dest))


def test_the_tagged_pip_131_line_builds_on_cpython36(tmp_path: Path) -> None:
    """The line the project is named after: pip 1.3.1 publishes only an sdist. Its build runs on
    CPython 3.6 (pyenv), in an environment tagpip fills with setuptools and wheel resolved for
    3.6, and the wheel is pure; it installs and imports there."""
    python = interpreter("3.6")
    if python is None:
        pytest.skip("no pyenv Python 3.6")
    dest = tmp_path / "w"
    line = "pip==1.3.1[manylinux1,cp36,x86_64]"
    done = tagpip("download", line, "-d", str(dest), *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    assert wheel_names(dest) == ["pip-1.3.1-py3-none-any.whl"]
    assert "building pip 1.3.1 from its sdist on Python 3.6" in done.stderr
    built = re.search(
        r"^built pip-1\.3\.1-py3-none-any\.whl: pure Python \(build requirements: (.*)\)$",
        done.stderr,
        re.M,
    )
    assert built is not None, done.stderr
    assert "setuptools 59.6.0" in built.group(1)
    deps = tmp_path / "deps"
    done = tagpip("install", line, "--target", str(deps), *_cache(tmp_path))
    assert done.returncode == 0, done.stderr
    imported = subprocess.run(
        [str(python), "-c", "import pip; print(pip.__version__)"],
        env={**clean_env(), "PYTHONPATH": str(deps)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.stdout.strip() == "1.3.1", imported.stderr


# PEP 792 on the live index: pepy is archived on PyPI (the example of astral-sh/uv#15254,
# August 2025: ``"project-status": {"status": "archived"}``).
ARCHIVED_ON_PYPI = "pepy"


def test_pypi_marks_a_project_archived_and_tagpip_reads_it() -> None:
    import json
    import urllib.request

    from packaging.utils import canonicalize_name

    from tagpip.config.pip import IndexOptions
    from tagpip.index.client import HttpIndex

    url = f"https://pypi.org/simple/{ARCHIVED_ON_PYPI}/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        api = json.load(response)["meta"]["api-version"]
    if tuple(int(part) for part in api.split(".")[:2]) < (1, 4):
        pytest.skip(f"the index this machine reaches as PyPI serves API {api}, before PEP 792")
    options = IndexOptions(index_url="https://pypi.org/simple/", no_cache=True)
    with HttpIndex(options) as index:
        status = index.releases(canonicalize_name(ARCHIVED_ON_PYPI)).status
    assert (status.state, status.index) == ("archived", "https://pypi.org/simple/")
