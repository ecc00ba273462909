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
