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
    from tagpip.build import check_pure
    from tagpip.presets import preset

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
