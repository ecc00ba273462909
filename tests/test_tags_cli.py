"""`tagpip tags`: tags, markers, JSON, presets, and errors with their exit statuses."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from tagpip.cli import main
from tagpip.target import target_from_file


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(["tags", *argv])
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_no_options_gives_the_hosts_tags(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([], capsys)
    assert status == 0
    assert out.split() == [str(t) for t in sys_tags()]


def test_tag_block(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["[manylinux1,cp36,x86_64]"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "cp36-cp36m-manylinux_2_5_x86_64",
        "cp36-cp36m-manylinux1_x86_64",
        "cp36-abi3-manylinux_2_5_x86_64",
    ]
    assert len(lines) == 39


def test_pip_flags(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["--platform", "win_amd64", "--python-version", "311"], capsys)
    assert status == 0
    assert out.splitlines()[:3] == [
        "cp311-cp311-win_amd64",
        "cp311-abi3-win_amd64",
        "cp311-none-win_amd64",
    ]


def test_markers(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["--preset", "aws-lambda-python3.12-arm64", "--markers"], capsys)
    assert status == 0
    assert out == (
        'implementation_name = "cpython"\n'
        "implementation_version = undefined\n"
        'os_name = "posix"\n'
        'platform_machine = "aarch64"\n'
        "platform_release = undefined\n"
        'platform_system = "Linux"\n'
        "platform_version = undefined\n"
        "python_full_version = undefined\n"
        'platform_python_implementation = "CPython"\n'
        'python_version = "3.12"\n'
        'sys_platform = "linux"\n'
    )


def test_json_feeds_target_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["--preset", "aws-lambda-python3.9-x86_64", "--json"], capsys)
    assert status == 0
    data = json.loads(out)
    assert data["version"] == 1
    assert data["description"] == "CPython 3.9 on manylinux_2_26 x86_64"
    path = tmp_path / "lambda.json"
    path.write_text(out, encoding="utf-8")
    _, from_file, _ = run(["--target-file", str(path)], capsys)
    _, from_preset, _ = run(["--preset", "aws-lambda-python3.9-x86_64"], capsys)
    assert from_file == from_preset
    assert target_from_file(path).tags[0].platform == "manylinux_2_26_x86_64"


def test_list_presets(capsys: pytest.CaptureFixture[str]) -> None:
    """Each place with its facts and source, then its presets (tests/test_presets.py has more)."""
    status, out, _ = run(["--list-presets"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[:4] == [
        "AWS Lambda python3.9 runtime (Amazon Linux 2): glibc 2.26, CPython 3.9",
        "  source: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, "
        "https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html",
        "  aws-lambda-python3.9-x86_64     CPython 3.9  manylinux_2_26_x86_64",
        "  aws-lambda-python3.9-arm64      CPython 3.9  manylinux_2_26_aarch64",
    ]


def test_errors_exit_1_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["--platform", "manylinux2014_x86_64"], capsys)
    assert (status, out) == (1, "")
    assert err == (
        "error: the target has no Python version\n"
        "hint: give --python-version (e.g. --python-version 3.12) or a python tag such as cp312 "
        "in a tag block; tagpip does not take the host's for another machine\n"
    )
    status, _, err = run(["--platform", "manylinux3_x86_64", "--python-version", "3.9"], capsys)
    assert status == 1
    assert err == (
        "error: unknown platform 'manylinux3_x86_64'\nhint: did you mean 'manylinux2014_x86_64'?\n"
    )


def test_bad_block_points_at_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["[manylinux3,cp36,x86_64]"], capsys)
    assert status == 1
    assert err.startswith("<command line>:1:2: ")
    assert "    [manylinux3,cp36,x86_64]\n     ^^^^^^^^^^\n" in err


def test_block_the_target_cannot_run(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["--preset", "aws-lambda-python3.9-x86_64", "[cp38]"], capsys)
    assert status == 1
    assert err.startswith(
        "<command line>:1:1: this block asks for cp38 but the target is CPython 3.9 on "
        "manylinux_2_26 x86_64\n"
    )


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["--preset", "aws-lambda-python3.9-x86_64", "--from-python", "x"], capsys)
    assert status == 2
    assert "--preset and --from-python both name the target" in err
    status, _, _ = run(["--markers", "--json"], capsys)
    assert status == 2


def test_tags_module_imports_lightly() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tagpip.cli.commands.tags; "
        "print(any(m in sys.modules for m in ('tagpip.target.value', 'packaging.tags')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_examples_in_docs_run(capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    docs = Path(__file__).parent.parent / "docs" / "targets.md"
    commands = [
        shlex.split(line.split("#")[0].split("|")[0].strip())
        for line in docs.read_text(encoding="utf-8").splitlines()
        if line.startswith("tagpip tags ") and "--from-python" not in line
    ]
    assert len(commands) == 6
    for command in commands:
        status, out, err = run(command[2:], capsys)
        assert (status, err) == (0, "")
        assert out


def test_an_impossible_platform_is_skipped_with_one_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pip takes ``--platform`` lists holding platforms that cannot exist (issue 16.14)."""
    argv = ["--platform", "manylinux_2_16_aarch64", "--platform", "manylinux_2_28_aarch64"]
    status, out, err = run([*argv, "--python-version", "3.12"], capsys)
    assert status == 0
    assert out.splitlines()[0] == "cp312-cp312-manylinux_2_28_aarch64"
    assert err == (
        "warning: skipping --platform manylinux_2_16_aarch64: manylinux_2_16 has no "
        "architecture 'aarch64'; no wheel can have that tag\n"
    )


def test_the_download_path_warns_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["--platform", "manylinux1_aarch64", "--platform", "manylinux_2_28_aarch64"]
    argv += ["--python-version", "3.12", "--no-index", "-d", str(tmp_path), "--no-deps"]
    with contextlib.suppress(SystemExit):
        main(["download", *argv, str(tmp_path / "missing-1.0-py3-none-any.whl")])
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "warning: skipping --platform manylinux1_aarch64: manylinux1 has no architecture "
        "'aarch64'; no wheel can have that tag"
    )


def test_families_beyond_the_desktop(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["[android_24_arm64_v8a,cp313]", "--markers"], capsys)
    assert status == 0
    assert 'sys_platform = "android"' in out.splitlines()
    assert 'platform_machine = "aarch64"' in out.splitlines()
    status, out, _ = run(["[ios_13_0_arm64_iphoneos,cp313]"], capsys)
    assert status == 0
    assert out.splitlines()[:2] == [
        "cp313-cp313-ios_13_0_arm64_iphoneos",
        "cp313-cp313-ios_12_9_arm64_iphoneos",
    ]
