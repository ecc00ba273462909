"""pip 26's release control (``--pre``, ``--all-releases``, ``--only-final``), per project, on
the command line and in files: the rule against real pip's own, then through download."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.config.releases import Kind, ReleaseControl
from tagpip.requirements.syntax import check_requirements_file

_NAMES = ("six", "tool", "Other_Name")

_PIP_ALLOWS = r"""
import json, sys
from pip._internal.models.release_control import ReleaseControl
from pip._vendor.packaging.utils import canonicalize_name
out = []
for case in json.loads(sys.argv[1]):
    control = ReleaseControl()
    for kind, value in case:
        if kind == "all_releases":
            control.handle_mutual_excludes(value, control.all_releases, control.only_final, kind)
        else:
            control.handle_mutual_excludes(value, control.only_final, control.all_releases, kind)
    out.append([control.allows_prereleases(canonicalize_name(n)) for n in sys.argv[2:]])
print(json.dumps(out))
"""

CASES: list[list[tuple[Kind, str]]] = [
    [],
    [("all_releases", ":all:")],
    [("only_final", ":all:")],
    [("all_releases", "six")],
    [("all_releases", "six,tool")],
    [("all_releases", "six"), ("only_final", "six")],
    [("only_final", "six"), ("all_releases", "six")],
    [("all_releases", ":all:"), ("only_final", "tool")],
    [("only_final", ":all:"), ("all_releases", "other-name")],
    [("all_releases", "six"), ("all_releases", ":none:")],
    [("all_releases", ":all:,:none:")],
    [("all_releases", ":all:,:none:,tool")],
    [("all_releases", "six"), ("only_final", ":all:")],
    [("only_final", "OTHER.name"), ("all_releases", ":all:")],
]


def test_the_rule_is_pips() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PIP_ALLOWS, json.dumps(CASES), *_NAMES],
        capture_output=True,
        text=True,
        check=False,
    )
    if "ModuleNotFoundError" in done.stderr:
        pytest.skip("the installed pip has no release control (pip 26.1 added it)")
    assert done.returncode == 0, done.stderr
    expected = json.loads(done.stdout)
    ours = [[ReleaseControl().apply_all(case).allows(n) for n in _NAMES] for case in CASES]
    assert ours == expected


@pytest.fixture
def world(index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for version in ("1.0", "3.0", "4.0b1"):
        index_server.add_wheel("six", version)
    for version in ("1.0", "2.0rc1"):
        index_server.add_wheel("tool", version)
    monkeypatch.chdir(tmp_path)
    return index_server.url


def _download(url: str, *args: str) -> int:
    return main(["download", "-d", "out", "--no-cache-dir", "-i", url, *args])


def _saved() -> list[str]:
    return sorted(p.name for p in Path("out").iterdir()) if Path("out").exists() else []


@pytest.mark.parametrize(
    ("lines", "args", "got"),
    [
        ("--all-releases six\nsix\ntool\n", (), ["six-4.0b1", "tool-1.0"]),
        ("six\ntool\n", ("--all-releases", "tool"), ["six-3.0", "tool-2.0rc1"]),
        ("--all-releases :all:\n--only-final tool\nsix\ntool\n", (), ["six-4.0b1", "tool-1.0"]),
        ("--only-final six\nsix\ntool>=2.0rc1\n", (), ["six-3.0", "tool-2.0rc1"]),
        (
            "six\ntool\n",
            ("--only-final", "six", "--all-releases", "six"),
            ["six-4.0b1", "tool-1.0"],
        ),
    ],
)
def test_download_takes_pre_releases_of_the_projects_named(
    world: str,
    lines: str,
    args: tuple[str, ...],
    got: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("r.txt").write_text(lines)
    assert main(["check", "r.txt"]) == 0, capsys.readouterr()
    assert _download(world, "-r", "r.txt", *args) == 0, capsys.readouterr().err
    assert [n.split("-py3")[0] for n in _saved()] == got


def test_only_final_excludes_even_a_pre_release_the_specifier_names(
    world: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # pip: --only-final NAME means final releases only, whatever the specifier says.
    Path("r.txt").write_text("--only-final tool\ntool>=2.0rc1\n")
    assert _download(world, "-r", "r.txt") == 1
    err = capsys.readouterr().err
    assert "tool" in err
    assert "Traceback" not in err
    assert _saved() == []


def test_pre_with_per_project_options_is_refused_as_pip_does(
    world: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _download(world, "six", "--pre", "--all-releases", "six") == 2  # a usage error
    assert "--pre cannot be used with --all-releases or --only-final" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["six!", "-x", "a,,b!"])
def test_check_names_a_value_that_is_not_a_project(tmp_path: Path, value: str) -> None:
    path = tmp_path / "r.txt"
    path.write_text(f"--only-final {value}\nsix\n")
    messages = [d.message for d in check_requirements_file(str(path)).errors]
    assert len(messages) == 1
    assert "--only-final" in messages[0]
