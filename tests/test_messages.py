"""The words tagpip prints around its results, asserted whole (issue 18, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_mistyped_option_gets_did_you_mean_and_the_commands_own_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["download", "attrs", "--platfrom", "linux_x86_64"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "tagpip download: error: unrecognized arguments: --platfrom linux_x86_64\n"
        "hint: --platfrom: did you mean --platform?\n"
        "(see 'tagpip download --help')\n"
    )


def test_an_unknown_option_with_nothing_close_names_only_the_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["lock", "attrs", "--zzz"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "tagpip lock: error: unrecognized arguments: --zzz\n(see 'tagpip lock --help')\n"
    )


def test_bare_tagpip_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    from tagpip.cli import build_parser

    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == build_parser().format_help()


def test_already_downloaded_only_for_files_that_were_in_the_folder(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("alpha", "1.0")
    wheel = "alpha-1.0-py3-none-any.whl"
    cache = tmp_path / "cache"
    base = ["download", "alpha", "-i", index_server.url, *TARGET, "--cache-dir", str(cache)]
    first, second = tmp_path / "one", tmp_path / "two"
    assert run([*base, "-d", str(first)], capsys) == (
        0, f"Saved {first / wheel}\nSuccessfully downloaded alpha\n", ""
    )  # fmt: skip
    # From the wheel cache into a new folder: saved there, not "already downloaded".
    assert run([*base, "-d", str(second)], capsys) == (
        0, f"Saved {second / wheel}\nSuccessfully downloaded alpha\n", ""
    )  # fmt: skip
    assert run([*base, "-d", str(second)], capsys) == (
        0, f"File was already downloaded {second / wheel}\nSuccessfully downloaded alpha\n", ""
    )  # fmt: skip


def test_no_wheel_is_short_names_the_newest_version_that_fits_and_lists_tags_under_v(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("native", "1.0", tags="cp311-cp311-manylinux2014_x86_64")
    for tags in ("cp312-cp312-manylinux_2_28_x86_64", "cp312-cp312-win_amd64"):
        index_server.add_wheel("native", "2.0", tags=tags)
    args = ["download", "native>=2", "-i", index_server.url, *TARGET, "--no-cache-dir"]
    args += ["-d", str(tmp_path / "w")]
    status, out, err = run(args, capsys)
    head = (
        "error: no wheel of native matching >=2 for CPython 3.11 on manylinux2014 x86_64"
        " (required by <command line>:1)\n"
        "  native 2.0 ships cp312 for manylinux_2_28, Windows\n"
        "hint: native 1.0 is the newest version with a wheel for this target: require"
        " native==1.0, or choose a target the newer releases support (-v lists every tag)\n"
    )
    assert (status, out, err) == (1, "", head)
    status, out, err = run([*args, "-v"], capsys)
    assert status == 1
    assert err.endswith(
        head + "native 2.0 ships: cp312-cp312-manylinux_2_28_x86_64, cp312-cp312-win_amd64\n"
    )


def test_no_wheel_of_a_project_with_a_binary_twin_suggests_the_twin(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_sdist("psycopg2", "2.9.10")
    args = ["download", "psycopg2", "-i", index_server.url, *TARGET, "--no-cache-dir", "--no-build"]
    status, out, err = run([*args, "-d", str(tmp_path / "w")], capsys)
    assert (status, out, err) == (
        1,
        "",
        "error: no wheel of psycopg2 for CPython 3.11 on manylinux2014 x86_64"
        " (required by <command line>:1)\n"
        "  psycopg2 publishes only sdists, and this run does not build them\n"
        "hint: psycopg2-binary publishes wheels of the same code: require it instead of"
        " psycopg2\n",
    )


def test_a_downgrade_the_target_forces_is_reported_and_can_fail(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("alpha", "1.0")
    index_server.add_wheel("alpha", "2.0", tags="cp311-cp311-win_amd64")
    index_server.add_wheel("beta", "1.0")
    index_server.add_wheel("beta", "2.0", requires_python=">=3.12")
    index_server.add_wheel("gamma", "1.0")
    index_server.add_wheel("gamma", "2.0", tags="cp311-cp311-win_amd64")
    dest = tmp_path / "w"
    args = ["download", "alpha", "beta", "gamma<2", "-i", index_server.url, *TARGET]
    args += ["--no-cache-dir", "-d", str(dest), "-q"]
    # gamma<2 is the user's own choice, not a downgrade.
    notes = (
        "note: alpha 1.0, not 2.0: 2.0 ships no wheel for CPython 3.11 on manylinux2014 x86_64\n"
        "note: beta 1.0, not 2.0: 2.0 requires Python >=3.12\n"
    )
    assert run(args[:-1], capsys)[2] == notes
    assert run(args, capsys) == (0, "", "")
    assert run([*args, "--fail-on-downgrade"], capsys) == (
        1,
        "",
        "error: the target forces older versions (--fail-on-downgrade):\n"
        "  alpha 1.0, not 2.0: 2.0 ships no wheel for CPython 3.11 on manylinux2014 x86_64\n"
        "  beta 1.0, not 2.0: 2.0 requires Python >=3.12\n"
        "hint: choose a target the newer releases support, or pin these versions\n",
    )


@pytest.mark.parametrize("command", ["lock", "install"])
def test_lock_and_install_report_downgrades_too(
    command: str, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("alpha", "1.0")
    index_server.add_wheel("alpha", "2.0", tags="cp311-cp311-win_amd64")
    where = ["--target", str(tmp_path / "t")] if command == "install" else []
    args = [command, "alpha", "-i", index_server.url, *TARGET, "--no-cache-dir", *where]
    status, _, err = run(args, capsys)
    assert (status, err) == (
        0, "note: alpha 1.0, not 2.0: 2.0 ships no wheel for CPython 3.11 on manylinux2014 x86_64\n"
    )  # fmt: skip
    assert run([*args, "-q", "--fail-on-downgrade"], capsys)[0::2] == (
        1,
        "error: the target forces older versions (--fail-on-downgrade):\n"
        "  alpha 1.0, not 2.0: 2.0 ships no wheel for CPython 3.11 on manylinux2014 x86_64\n"
        "hint: choose a target the newer releases support, or pin these versions\n",
    )


@pytest.mark.parametrize(
    ("stderr", "shown"),
    [
        (
            "Fatal Python error: init_fs_encoding: failed to get the Python codec\n"
            "Python runtime state: core initialized\n",
            "Fatal Python error: init_fs_encoding: failed to get the Python codec",
        ),
        (
            'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            "    import json, sys, sysconfig; PROBE SOURCE\nImportError: No module named json\n",
            "ImportError: No module named json",
        ),
        (
            "Unknown option: -I\nusage: python [option] ...\nTry `python -h' for more.\n",
            "Unknown option: -I",
        ),
        ("", "exit status 3, no output"),
    ],
)
def test_a_failing_from_python_shows_the_interpreters_own_error_trimmed(
    tmp_path: Path, stderr: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "python"
    (tmp_path / "stderr.txt").write_text(stderr)
    fake.write_text(f"#!/bin/sh\ncat '{tmp_path / 'stderr.txt'}' >&2\nexit 3\n")
    fake.chmod(0o755)
    status, _, err = run(["tags", "--from-python", str(fake)], capsys)
    assert status == 1
    assert err == (
        f"error: the interpreter {str(fake)!r} failed to report its tags: {shown}\n"
        "hint: --from-python needs a CPython or PyPy 3.6 or later\n"
    )
