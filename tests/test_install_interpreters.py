"""What ``tagpip install --target`` writes imports in the target interpreter itself.

For three targets this machine has as real pyenv interpreters (CPython 3.6 on manylinux1, 3.9 on
manylinux2014, 3.13 on manylinux_2_28), the index serves the same projects with wheels for many
tags; tagpip must pick the target's, lay them out so ``PYTHONPATH=DIR python -c "import ..."``
works, make a console script that interpreter runs, and leave dist-info that the interpreter's
own ``importlib.metadata`` reads. The wheels are pure Python inside; their tags are what matter.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

PYENV = Path(os.path.expanduser("~/.pyenv/versions"))


def interpreter(minor: str) -> Path | None:
    found = sorted(PYENV.glob(f"{minor}.*/bin/python"))
    return found[-1] if found else None


# (interpreter, target options, the native wheel tag tagpip must choose)
TARGETS = [
    (
        "3.6",
        ["--python-version", "3.6", "--platform", "manylinux1_x86_64"],
        "cp36-cp36m-manylinux1_x86_64",
    ),
    (
        "3.9",
        ["--python-version", "3.9", "--platform", "manylinux2014_x86_64"],
        "cp39-cp39-manylinux2014_x86_64",
    ),
    (
        "3.13",
        ["--python-version", "3.13", "--platform", "manylinux_2_28_x86_64"],
        "cp313-cp313-manylinux_2_28_x86_64",
    ),
]

NATIVE_TAGS = [
    "cp36-cp36m-manylinux1_x86_64",
    "cp36-cp36m-manylinux2014_aarch64",
    "cp37-cp37m-manylinux1_x86_64",
    "cp39-cp39-manylinux2014_x86_64",
    "cp39-cp39-manylinux_2_28_x86_64",  # too new a glibc for a manylinux2014 target
    "cp39-cp39-win_amd64",
    "cp313-cp313-manylinux_2_28_x86_64",
    "cp313-cp313-musllinux_1_2_x86_64",
]


def seed(server: IndexServer) -> None:
    for tags in NATIVE_TAGS:
        server.add_wheel(
            "fastcore", "1.0", tags=tags, extra_files={"fastcore/built_for.py": f'TAG = "{tags}"\n'}
        )
    # Only old Pythons need the backport; the stable-ABI wheel serves 3.9 and later.
    server.add_wheel(
        "webapp",
        "2.1",
        requires_dist=["fastcore>=1", 'oldcompat>=1; python_version < "3.7"', "abi3lib"],
        extra_files={
            "webapp-2.1.dist-info/entry_points.txt": (
                "[console_scripts]\nwebapp = webapp.app:main\n"
            ),
            "webapp/__main__.py": "",
            "webapp/app.py": (
                "import sys\n"
                "def main():\n"
                "    import fastcore.built_for as b\n"
                "    print('webapp on', sys.version_info[:2], b.TAG)\n"
                "    return 0\n"
            ),
        },
    )
    server.add_wheel("oldcompat", "1.0")
    server.add_wheel("abi3lib", "0.5", tags="cp36-abi3-manylinux1_x86_64")
    server.add_wheel("abi3lib", "0.5", tags="cp39-abi3-manylinux2014_x86_64")


@pytest.mark.parametrize(("minor", "options", "native"), TARGETS, ids=[t[0] for t in TARGETS])
def test_what_tagpip_installs_imports_in_the_target_interpreter(
    minor: str,
    options: list[str],
    native: str,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    python = interpreter(minor)
    if python is None:
        pytest.skip(f"CPython {minor} is not installed with pyenv")
    seed(index_server)
    dest = tmp_path / "deps"
    status = main(
        [
            "install",
            "webapp",
            "--target",
            str(dest),
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
            *options,
        ]
    )
    out, err = capsys.readouterr()
    assert (status, out, err) == (0, "", "")
    expected = ["abi3lib", "fastcore", "webapp"] + (["oldcompat"] if minor == "3.6" else [])
    installed = sorted(p.name.split("-")[0] for p in dest.glob("*.dist-info"))
    assert installed == sorted(expected)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PYTHONPATH"] = str(dest)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    probe = (
        "import json, sys\n"
        "import fastcore, fastcore.built_for, webapp, abi3lib\n"
        "try:\n"
        "    from importlib.metadata import version\n"
        "except ImportError:\n"
        "    version = None\n"
        "names = sorted(sys.argv[1:])\n"
        "print(json.dumps({\n"
        "    'tag': fastcore.built_for.TAG,\n"
        "    'from': fastcore.__file__,\n"
        "    'versions': [version(n) for n in names] if version else None,\n"
        "}))\n"
    )
    result = subprocess.run(
        [str(python), "-s", "-c", probe, *expected],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["tag"] == native
    assert Path(facts["from"]).resolve().is_relative_to(dest.resolve())
    if minor != "3.6":  # importlib.metadata arrived in 3.8
        assert facts["versions"] == [
            {"abi3lib": "0.5", "fastcore": "1.0", "oldcompat": "1.0", "webapp": "2.1"}[n]
            for n in sorted(expected)
        ]

    # The console script tagpip wrote runs in that interpreter (its shebang is `env python3`;
    # here it is handed to the interpreter directly, as `env` would).
    script = dest / "bin" / "webapp"
    assert script.read_text().startswith("#!/usr/bin/env python3\n")
    run_script = subprocess.run(
        [str(python), "-s", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert run_script.returncode == 0, run_script.stderr
    assert run_script.stdout.startswith("webapp on (3, ")
    assert run_script.stdout.rstrip().endswith(native)
    # Importing must not have left bytecode from the host either.
    assert not list(dest.rglob("*.pyc"))
