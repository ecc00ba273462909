"""Presets for the places people deploy to (issue 32.1): each builds, cites its source, is named in
``--help`` and in docs/targets.md's table with the same facts, picks another Python of its place
with ``--python-version`` (and nothing else), and, where this machine runs the place itself (a
Debian release), equals the real interpreters there, tag for tag."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import packaging
import pytest
from packaging.tags import compatible_tags, cpython_tags

from support.server import IndexServer
from tagpip.cli import main
from tagpip.presetfacts import RELEASES, help_summary
from tagpip.target import target_from_python
from tagpip.target.presets import PRESETS, preset, preset_names
from tagpip.target.value import TargetError

DOCS = Path(__file__).parent.parent / "docs" / "targets.md"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def expand(pattern: str) -> list[str]:
    """``debian-{11,12}-{amd64,arm64}`` as the names it stands for, as a shell expands it."""
    parts = re.split(r"(\{[^}]*\})", pattern)
    choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(c) for c in itertools.product(*choices)]


# --- every preset -------------------------------------------------------------------------------


def test_every_preset_builds_and_cites_a_source() -> None:
    assert len(PRESETS) == 66
    for name in preset_names():
        found = PRESETS[name]
        assert found.sources, name
        assert all(found.sources), name
        target = preset(name)
        assert target.tags, name
        assert target.source == f"the preset {name}"
        assert not target.notes, name


def test_help_names_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` of a fetching command names them all, in patterns a shell would expand."""
    named = [name for pattern in help_summary().split(", ") for name in expand(pattern)]
    assert sorted(named) == preset_names()
    status, out, _ = run(["download", "--help"], capsys)
    assert status == 0
    flat = " ".join(out.split())
    for word in ("debian-{11,12}-{amd64,arm64,armhf,i386}", "rocky-", "almalinux-", "pyodide-"):
        assert word.replace("-", "- ").split()[0] in flat or word in flat


def _docs_rows() -> list[list[str]]:
    section = DOCS.read_text(encoding="utf-8").split("\n## Presets", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    cells = [line.strip("|").split("|") for line in rows]
    return [[cell.strip() for cell in row] for row in cells]


def test_presets_match_the_table_in_the_docs() -> None:
    """docs/targets.md's table and presetfacts.py are one table: a place, its presets, its
    Pythons, its glibc or platform; a change on one side fails here until the other follows."""
    rows = _docs_rows()
    assert len(rows) == len(RELEASES)
    documented: set[str] = set()
    for release, (place, names, pythons, libc) in zip(RELEASES, rows):
        assert place.replace("`", "").startswith(release.title.split(" (")[0]), place
        shown = re.findall(r"`([^`]+)`", names)
        for item in shown:
            if item.endswith("-..."):  # rocky-9-...: the same machines as the first
                item = item[: -len("...")] + shown[0].rsplit("-", 1)[-1]
            documented.update(expand(item))
        assert pythons == ", ".join((release.python, *release.pythons)), place
        if release.glibc:
            assert libc == f"{release.glibc[0]}.{release.glibc[1]}", place
        else:
            assert libc == f"`{release.platform}`", place
    assert documented == set(PRESETS)


@pytest.mark.parametrize(
    ("name", "first", "full"),
    [
        ("debian-11-armhf", "cp39-cp39-linux_armv7l", "3.9.2"),
        ("debian-12-arm64", "cp311-cp311-linux_aarch64", "3.11.2"),
        ("debian-13-amd64", "cp313-cp313-linux_x86_64", "3.13.5"),
        ("debian-12-i386", "cp311-cp311-linux_i686", "3.11.2"),
        ("ubuntu-24.04-arm64", "cp312-cp312-linux_aarch64", "3.12.3"),
        ("rhel-9-x86_64", "cp39-cp39-linux_x86_64", None),
        ("almalinux-10-aarch64", "cp312-cp312-linux_aarch64", None),
        ("amazon-linux-2023-arm64", "cp39-cp39-linux_aarch64", None),
        ("raspios-trixie-armhf", "cp313-cp313-linux_armv7l", "3.13.5"),
        ("azure-functions-python3.12", "cp312-cp312-linux_x86_64", None),
        ("aws-lambda-python3.12-arm64", "cp312-cp312-manylinux_2_34_aarch64", None),
        ("pyodide-314.0", "cp314-cp314-pyemscripten_2026_0_wasm32", "3.14.2"),
        ("cloudflare-python-workers-3.13", "cp313-cp313-emscripten_4_0_9_wasm32", "3.13.2"),
    ],
)
def test_a_preset_is_its_place(name: str, first: str, full: str | None) -> None:
    target = preset(name)
    assert str(target.tags[0]) == first
    assert target.marker_environment.get("python_full_version") == full


def test_the_glibc_is_the_places_and_expands_as_on_the_real_system() -> None:
    """Debian 12 arm64: linux_aarch64, then manylinux 2_36 down to 2_17 (aarch64 starts there),
    legacy manylinux2014 after its level: packaging's _linux_platforms for glibc 2.36."""
    target = preset("debian-12-arm64")
    assert target.platforms[0] == "linux_aarch64"
    assert target.platforms[1:3] == ("manylinux_2_36_aarch64", "manylinux_2_35_aarch64")
    assert target.platforms[-2:] == ("manylinux_2_17_aarch64", "manylinux2014_aarch64")
    assert target.marker_environment["platform_machine"] == "aarch64"


def test_an_emscripten_preset_is_packagings_list() -> None:
    platforms = ["pyemscripten_2026_0_wasm32", "emscripten_5_0_3_wasm32"]
    expected = [
        *cpython_tags((3, 14), ["cp314"], platforms),
        *compatible_tags((3, 14), "cp314", platforms),
    ]
    target = preset("cloudflare-python-workers-3.14")
    assert list(target.tags) == expected
    assert target.marker_environment["sys_platform"] == "emscripten"


# --- another Python of the place -----------------------------------------------------------------


def test_python_version_picks_another_python_of_the_place_and_nothing_else() -> None:
    default = preset("rhel-9-x86_64")
    other = preset("rhel-9-x86_64", "3.12")
    assert other.python_version == (3, 12)
    assert other.platforms == default.platforms  # the glibc is RHEL 9's
    assert not other.notes
    # One the place packages keeps its known patch level.
    assert preset("ubuntu-20.04-amd64", "3.9").python_version == (3, 9, 5)
    assert preset("debian-12-amd64", "3.11").python_version == (3, 11, 2)
    assert preset("debian-12-amd64", "3.11.4").python_version == (3, 11, 4)


def test_a_python_the_place_does_not_package_is_taken_and_said() -> None:
    target = preset("debian-12-amd64", "3.13")
    assert target.python_version == (3, 13)
    assert target.platforms == preset("debian-12-amd64").platforms
    assert target.notes == (
        "the preset debian-12-amd64 packages Python 3.11.2; 3.13 there is a Python you install "
        "yourself, so the target keeps debian-12-amd64's platform and glibc 2.36 and takes "
        "CPython 3.13",
    )


def test_a_runtimes_preset_runs_one_python() -> None:
    assert preset("aws-lambda-python3.12-x86_64", "3.12.8").python_version == (3, 12, 8)
    with pytest.raises(TargetError) as caught:
        preset("aws-lambda-python3.12-x86_64", "3.13")
    assert caught.value.message == (
        "the preset aws-lambda-python3.12-x86_64 runs Python 3.12 only, not 3.13"
    )
    assert caught.value.hint == "use the preset aws-lambda-python3.13-x86_64"
    with pytest.raises(TargetError) as caught:
        preset("pyodide-314.0", "3.13")
    assert caught.value.hint == "use the preset pyodide-0.28"
    with pytest.raises(TargetError) as caught:
        preset("azure-functions-python3.12", "3.9")
    assert caught.value.hint == "--python-version may only give its patch level (e.g. 3.12.1)"


def test_the_cli_takes_python_version_with_a_preset(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        ["tags", "--preset", "rhel-9-x86_64", "--python-version", "3.12", "--markers"], capsys
    )
    assert (status, err) == (0, "")
    assert 'python_version = "3.12"' in out
    assert 'platform_machine = "x86_64"' in out
    status, _, err = run(
        ["tags", "--preset", "rhel-9-x86_64", "--platform", "manylinux_2_17_x86_64"], capsys
    )
    assert status == 1
    assert "cannot be combined with --platform" in err


def test_unknown_preset_suggests_and_lists(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TargetError) as caught:
        preset("debian-12")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith(
        "did you mean one of 'debian-12-amd64', 'debian-12-arm64', 'debian-12-armhf', "
        "'debian-12-i386'? the presets are aws-lambda-python{3.9,"
    )
    assert caught.value.hint.endswith("(tagpip tags --list-presets shows each one's facts)")
    with pytest.raises(TargetError) as caught:
        preset("ubuntu-24.04-amd46")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("did you mean 'ubuntu-24.04-amd64'? the presets are ")


def test_list_presets_prints_each_place_its_facts_its_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(["tags", "--list-presets"], capsys)
    assert status == 0
    lines = out.splitlines()
    at = lines.index("Debian 12 (bookworm): glibc 2.36, CPython 3.11.2")
    assert lines[at + 1].startswith("  source: the Debian archive, deb.debian.org/debian/dists/")
    assert "libc6 2.36-9+deb12u14, python3.11 3.11.2-6+deb12u8" in lines[at + 1]
    assert lines[at + 2].split() == [
        "debian-12-amd64", "CPython", "3.11.2", "linux_x86_64,", "manylinux_2_36_x86_64"
    ]  # fmt: skip
    assert "Red Hat Enterprise Linux 9: glibc 2.34, CPython 3.9 (also 3.11, 3.12)" in lines
    names = [line.split()[0] for line in lines if line.startswith("  ") and "source:" not in line]
    assert sorted(names) == preset_names()


# --- the real thing: this machine's own release -------------------------------------------------


def _os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value.strip('"') for key, value in pairs}


_DEBIAN_MACHINES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf", "i686": "i386"}


def _this_debian() -> str:
    """The preset of the Debian release and machine this test runs on, or a skip."""
    release = _os_release()
    if release.get("ID") != "debian" or not sys.platform.startswith("linux"):
        pytest.skip("not a Debian machine")
    machine = _DEBIAN_MACHINES.get(os.uname().machine, "")
    name = f"debian-{release.get('VERSION_ID')}-{machine}"
    if name not in PRESETS:
        pytest.skip(f"no preset for this machine ({name})")
    return name


def _pythons() -> list[Path]:
    """The system's Python 3 and every pyenv CPython of this machine."""
    found = [Path("/usr/bin/python3")] if Path("/usr/bin/python3").exists() else []
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() or root
    for path in sorted(Path(root).glob("versions/3.*/bin/python")):
        if path.parent.parent.name.replace(".", "").isdigit():
            found.append(path)
    return found


_SYS_TAGS = (
    "import sys; sys.path.insert(0, sys.argv[1]); from packaging import tags; "
    "print('\\n'.join(map(str, tags.sys_tags())))"
)


def _real_tags(python: Path, tmp: Path) -> tuple[list[str], bool]:
    """The interpreter's own ``sys_tags()``: by the packaging tagpip runs with where the
    interpreter can import it (3.10 and later), else through ``--from-python``, which
    tests/test_target_interpreters.py holds to each interpreter's own ``sys_tags()``."""
    version = subprocess.run(
        [str(python), "-I", "-S", "-c", "import sys; print(sys.version_info[1])"],
        capture_output=True,
        text=True,
        check=True,
    )
    if int(version.stdout) >= 10:
        root = tmp / "oracle"
        if not root.exists():
            root.mkdir()
            (root / "packaging").symlink_to(Path(packaging.__file__).parent)
        done = subprocess.run(
            [str(python), "-I", "-S", "-c", _SYS_TAGS, str(root)],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split(), True
    return [str(t) for t in target_from_python(python).tags], False


def test_the_debian_preset_is_this_machines_interpreters(tmp_path: Path) -> None:
    """The hold-out: on a Debian machine, its release's preset (with ``--python-version`` of
    each interpreter) has exactly that interpreter's tags, as a set and, for those the
    packaging tagpip runs with can judge, in order. Debian 12's own Python is 3.11."""
    name = _this_debian()
    pythons = _pythons()
    if not pythons:
        pytest.skip("no interpreter to compare with")
    compared = 0
    for python in pythons:
        real, ordered = _real_tags(python, tmp_path)
        facts = target_from_python(python)
        version = ".".join(map(str, facts.python_version[:2]))
        if facts.abis != preset(name, version).abis:
            continue  # a debug or free-threaded build is not the preset's interpreter
        ours = [str(t) for t in preset(name, version).tags]
        assert set(ours) == set(real), python
        if ordered:
            assert ours == real, python
        compared += 1
    assert compared >= 1


def _dpkg_version(package: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def test_the_debian_facts_are_the_installed_releases_package_data() -> None:
    """The release's own package data, installed (dpkg's database, what apt-cache reads): the
    glibc of libc6 and the version of the python3.X package the preset names."""
    name = _this_debian()
    found = PRESETS[name]
    release = found.release
    assert release is not None
    assert release.glibc is not None
    libc6 = _dpkg_version("libc6")
    if libc6 is None:
        pytest.skip("dpkg's database is not readable here")
    assert libc6.startswith(f"{release.glibc[0]}.{release.glibc[1]}-")
    assert libc6 in release.source
    major_minor = ".".join(found.python_version.split(".")[:2])
    python = _dpkg_version(f"python{major_minor}")
    if python is None:
        pytest.skip(f"python{major_minor} is not installed")
    assert python.split("-")[0] == found.python_version


# --- a target from a machine reached by a command -------------------------------------------


def _pyenv_python(minor: int) -> Path | None:
    found = [p for p in _pythons() if p.parent.parent.name.startswith(f"3.{minor}.")]
    return found[0] if found else None


def test_from_python_takes_a_command_line(tmp_path: Path) -> None:
    """A command that runs the interpreter elsewhere (docker run -i, ssh, chroot): tagpip sends
    its probe on standard input. ``env -i`` stands in for the remote command here, and a script
    that passes its arguments on for the wrapper the docs show."""
    python = _pyenv_python(9) or Path(sys.executable)
    direct = target_from_python(python)
    through = target_from_python(f"env -i {python}")
    assert through.tags == direct.tags
    assert through.source == f"--from-python env -i {python}"
    script = tmp_path / "board-python"
    script.write_text(f'#!/bin/sh\nexec {python} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    assert target_from_python(script).tags == direct.tags


def test_a_command_that_swallows_standard_input_is_named() -> None:
    with pytest.raises(TargetError) as caught:
        target_from_python("sh -c true")
    assert caught.value.message == "the interpreter 'sh -c true' printed nothing"
    assert caught.value.hint is not None
    assert "docker run -i" in caught.value.hint
    with pytest.raises(TargetError, match="cannot run the interpreter 'no-such-command x'"):
        target_from_python("no-such-command x")
    with pytest.raises(TargetError, match="is not a command line"):
        target_from_python("ssh 'unclosed")


def test_builds_never_use_a_command_lines_interpreter() -> None:
    from tagpip.cli.options import local_interpreter

    assert local_interpreter("ssh pi@board python3") is None
    assert local_interpreter(["/usr/bin/python3"]) == "/usr/bin/python3"
    assert local_interpreter(None) is None


def test_python_version_goes_with_several_presets(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--python-version`` with several ``--preset``s picks that Python on each place; with any
    other kind of target among them it stays refused."""
    index_server.add_wheel("pure", "1.0")
    common = ["download", "pure", "-i", index_server.url, "--no-cache-dir", "-d", str(tmp_path)]
    presets = ["--preset", "debian-12-amd64", "--preset", "rhel-9-aarch64"]
    status, _, err = run([*common, *presets, "--python-version", "3.12"], capsys)
    assert status == 0, err
    assert "debian-12-amd64 packages Python 3.11.2; 3.12 there is a Python you install" in err
    assert "rhel-9-aarch64" not in err  # RHEL 9's AppStream packages 3.12
    status, _, err = run(
        [*common, "--preset", "debian-12-amd64", "--target-file", "x.json", "--python-version",
         "3.12"],
        capsys,
    )  # fmt: skip
    assert status == 2
    assert "hint: --python-version goes with several targets when every one is a --preset" in err
