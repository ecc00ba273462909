"""pinned wheels -> pip invocations (tagpip.pip.command): whole argv lists for each kind of target.

These are golden values; tests/test_pip_backend.py runs such commands with real pip.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import NormalizedName, parse_wheel_filename

from tagpip.config.pip import IndexOptions
from tagpip.index.client import DistFile
from tagpip.pip.command import (
    Difference,
    PipBackendError,
    PipFailed,
    PipMismatch,
    differences,
    format_command,
    index_arguments,
    pip_commands,
    pip_downloads,
    restriction_for,
)
from tagpip.requirements.syntax import parse_line
from tagpip.resolution import Pin
from tagpip.target import target_from_flags
from tagpip.target.value import Target

SHA = "ab" * 32
INDEX = IndexOptions(index_url="https://pypi.org/simple/")
PIP = ["python", "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]

CP36 = target_from_flags(["manylinux1_x86_64"], "3.6", "cp", [])
CP312 = target_from_flags(["manylinux_2_28_x86_64"], "3.12", "cp", [])
WIN = target_from_flags(["win_amd64"], "3.11", "cp", [])
MAC = target_from_flags(["macosx_11_0_arm64"], "3.12", "cp", [])


def wheel(
    filename: str,
    *,
    hashes: tuple[tuple[str, str], ...] = (("sha256", SHA),),
    requires_python: str | None = None,
    url: str | None = None,
) -> DistFile:
    name, version, build, tags = parse_wheel_filename(filename)
    return DistFile(
        project=name,
        filename=filename,
        url=url or f"https://files.example/{filename}",
        version=version,
        build=build,
        tags=tags,
        is_wheel=True,
        hashes=hashes,
        requires_python=requires_python,
    )


def pin(
    filename: str,
    target: Target,
    *,
    hashes: tuple[tuple[str, str], ...] = (("sha256", SHA),),
    requires_python: str | None = None,
) -> Pin:
    file = wheel(filename, hashes=hashes, requires_python=requires_python)
    return Pin(
        name=file.project,
        version=file.version,
        file=file,
        extras=frozenset(),
        lines=(),
        required_by=(),
        target=target,
    )


def words(text: str) -> list[str]:
    """A golden argv written as text over several lines (no argument here needs quoting)."""
    return text.split()


def commands(
    pins: list[Pin], options: IndexOptions = INDEX, *, redact: bool = False
) -> list[list[str]]:
    return pip_commands(pins, "wheels", options, redact=redact)


def test_cp36_manylinux1_native_wheel() -> None:
    assert commands([pin("native-3.2-cp36-cp36m-manylinux1_x86_64.whl", CP36)]) == [
        [
            *PIP,
            "--platform",
            "manylinux1_x86_64",
            "--python-version",
            "3.6",
            "--implementation",
            "cp",
            "--abi",
            "cp36m",
            "-d",
            "wheels",
            "native==3.2",
        ]
    ]


def test_pure_wheels_are_restricted_to_any_never_the_host() -> None:
    pins = [
        pin("app-1.0-py3-none-any.whl", CP36),
        pin("six-1.16.0-py2.py3-none-any.whl", CP36),
    ]
    assert commands(pins) == [
        [
            *PIP,
            "--platform",
            "any",
            "--python-version",
            "3.6",
            "--implementation",
            "cp",
            "--abi",
            "none",
            "-d",
            "wheels",
            "app==1.0",
            "six==1.16.0",
        ]
    ]


def test_mixed_pins_group_by_restriction_in_order_of_first_pin() -> None:
    pins = [
        pin("app-1.0-py3-none-any.whl", CP36),
        pin("cffi-1.15.1-cp36-cp36m-manylinux1_x86_64.whl", CP36),
        pin("cryptography-3.2-cp35-abi3-manylinux1_x86_64.whl", CP36),
        pin("helper-1.0-py3-none-any.whl", CP36),
        pin("native-3.2-cp36-cp36m-manylinux1_x86_64.whl", CP36),
    ]
    assert commands(pins) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform any --python-version 3.6 --implementation cp --abi none
            -d wheels app==1.0 helper==1.0
        """),
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform manylinux1_x86_64 --python-version 3.6 --implementation cp --abi cp36m
            -d wheels cffi==1.15.1 native==3.2
        """),
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform manylinux1_x86_64 --python-version 3.6 --implementation cp --abi abi3
            -d wheels cryptography==3.2
        """),
    ]


def test_a_wheel_with_several_platform_tags_keeps_the_ones_the_target_takes_in_its_order() -> None:
    pins = [pin("x-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", CP312)]
    assert commands(pins) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
            --python-version 3.12 --implementation cp --abi cp312
            -d wheels x==1.0
        """)
    ]


def test_windows() -> None:
    pins = [
        pin("pywin32-306-cp311-cp311-win_amd64.whl", WIN),
        pin("colorama-0.4.6-py2.py3-none-any.whl", WIN),
    ]
    assert commands(pins) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform win_amd64 --python-version 3.11 --implementation cp --abi cp311
            -d wheels pywin32==306
        """),
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform any --python-version 3.11 --implementation cp --abi none
            -d wheels colorama==0.4.6
        """),
    ]


def test_macos_arm64_takes_an_older_universal2_abi3_wheel() -> None:
    pins = [
        pin("orjson-3.9.0-cp312-cp312-macosx_11_0_arm64.whl", MAC),
        pin("cryptography-41.0.0-cp37-abi3-macosx_10_12_universal2.whl", MAC),
    ]
    assert commands(pins) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform macosx_11_0_arm64 --python-version 3.12 --implementation cp --abi cp312
            -d wheels orjson==3.9.0
        """),
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform macosx_10_12_universal2 --python-version 3.12 --implementation cp
            --abi abi3 -d wheels cryptography==41.0.0
        """),
    ]


def test_pypy_and_a_full_python_version() -> None:
    pypy = target_from_flags(["manylinux2014_x86_64"], "3.9", "pp", [])
    cp3615 = target_from_flags(["manylinux1_x86_64"], "3.6.15", "cp", [])
    assert commands([pin("x-1.0-pp39-pypy39_pp73-manylinux2014_x86_64.whl", pypy)]) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform manylinux2014_x86_64 --python-version 3.9 --implementation pp
            --abi pypy39_pp73 -d wheels x==1.0
        """)
    ]
    assert commands([pin("y-2.0-py3-none-any.whl", cp3615)]) == [
        words("""
            python -m pip download --no-deps --only-binary=:all:
            --platform any --python-version 3.6.15 --implementation cp --abi none
            -d wheels y==2.0
        """)
    ]


def test_pins_for_different_targets_never_share_an_invocation() -> None:
    block = target_from_flags(["manylinux1_x86_64"], "3.6", "cp", ["cp36m"])
    other = target_from_flags(["manylinux1_x86_64"], "3.7", "cp", [])
    argvs = commands([pin("a-1-py3-none-any.whl", block), pin("b-1-py3-none-any.whl", other)])
    assert [argv[9] for argv in argvs] == ["3.6", "3.7"]
    assert [argv[-1] for argv in argvs] == ["a==1", "b==1"]


def test_requires_python_pip_would_refuse_adds_ignore_requires_python() -> None:
    # tagpip reads a 3.6 target as an up-to-date 3.6.z; pip reads --python-version 3.6 as 3.6.0.
    pins = [
        pin("a-1.0-py3-none-any.whl", CP36, requires_python=">=3.6"),
        pin("b-1.0-py3-none-any.whl", CP36, requires_python=">=3.6.1"),
    ]
    argvs = commands(pins)
    assert [("--ignore-requires-python" in argv, argv[-1]) for argv in argvs] == [
        (False, "a==1.0"),
        (True, "b==1.0"),
    ]
    assert argvs[1][6] == "--ignore-requires-python"


def test_a_wheel_the_target_cannot_run_is_an_error() -> None:
    with pytest.raises(PipBackendError, match=r"^native: native-3.2-cp37-cp37m"):
        restriction_for(wheel("native-3.2-cp37-cp37m-manylinux1_x86_64.whl"), CP36)


def test_direct_url_pins_stay_urls_and_are_redacted_when_printed() -> None:
    url = "https://user:secret@files.example/x-1.0-py3-none-any.whl"
    line = parse_line(f"x @ {url}", source="req.txt", line=1)
    file = wheel("x-1.0-py3-none-any.whl", url=url)
    pinned = Pin(file.project, file.version, file, frozenset(), (line,), (), CP36)
    assert commands([pinned])[0][-1] == f"x @ {url}"
    assert commands([pinned], redact=True)[0][-1] == (
        "x @ https://user:****@files.example/x-1.0-py3-none-any.whl"
    )


def test_index_options_only_where_they_differ_from_the_baseline() -> None:
    options = IndexOptions(
        index_url="https://user:token@mirror.example/simple/",
        extra_index_urls=("https://configured.example/simple/", "https://extra.example/simple/"),
        find_links=("./wheelhouse",),
        trusted_hosts=("mirror.example",),
        cert="/etc/ca.pem",
        proxy="http://proxy:3128",
        timeout=60.0,
        retries=2,
        no_cache=True,
    )
    assert index_arguments(options) == [
        "--index-url",
        "https://user:token@mirror.example/simple/",
        "--extra-index-url",
        "https://configured.example/simple/",
        "--extra-index-url",
        "https://extra.example/simple/",
        "--find-links",
        "./wheelhouse",
        "--trusted-host",
        "mirror.example",
        "--cert",
        "/etc/ca.pem",
        "--proxy",
        "http://proxy:3128",
        "--timeout",
        "60",
        "--retries",
        "2",
        "--no-cache-dir",
    ]
    # What pip already reads from its own configuration is not repeated (pip appends lists).
    configured = IndexOptions(
        index_url="https://user:token@mirror.example/simple/",
        extra_index_urls=("https://configured.example/simple/",),
        cert="/etc/ca.pem",
        timeout=60.0,
    )
    assert index_arguments(options, configured) == [
        "--extra-index-url",
        "https://extra.example/simple/",
        "--find-links",
        "./wheelhouse",
        "--trusted-host",
        "mirror.example",
        "--proxy",
        "http://proxy:3128",
        "--retries",
        "2",
        "--no-cache-dir",
    ]
    assert index_arguments(IndexOptions(no_index=True, find_links=("/w",))) == [
        "--no-index",
        "--find-links",
        "/w",
    ]
    moved = IndexOptions(cache_dir=Path("/c/tagpip"))
    assert index_arguments(moved, IndexOptions(cache_dir=Path("/home/u/.cache/tagpip"))) == [
        "--cache-dir",
        "/c",
    ]


def test_credentials_are_kept_to_run_and_redacted_to_print() -> None:
    options = IndexOptions(
        index_url="https://user:token@mirror.example/simple/",
        extra_index_urls=("https://__token__@extra.example/simple/",),
    )
    pins = [pin("a-1.0-py3-none-any.whl", CP36)]
    run = commands(pins, options)[0]
    shown = commands(pins, options, redact=True)[0]
    assert run[14:18] == [
        "--index-url",
        "https://user:token@mirror.example/simple/",
        "--extra-index-url",
        "https://__token__@extra.example/simple/",
    ]
    assert shown[14:18] == [
        "--index-url",
        "https://user:****@mirror.example/simple/",
        "--extra-index-url",
        "https://****@extra.example/simple/",
    ]


def test_hash_checking_requirements_file() -> None:
    pins = [
        pin("a-1.0-py3-none-any.whl", CP36, hashes=(("md5", "0" * 32), ("sha256", SHA))),
        pin("b-1.0-py3-none-any.whl", CP36, hashes=(("sha512", "cd" * 64),)),
    ]
    (download,) = pip_downloads(pins, "w", INDEX, extra_args=["--isolated"])
    assert download.can_check_hashes
    assert download.requirements_text() == (
        f"a==1.0 --hash=sha256:{SHA}\nb==1.0 --hash=sha512:{'cd' * 64}\n"
    )
    assert download.arguments(requirements_file="/tmp/r.txt")[-5:] == [
        "--isolated",
        "-d",
        "w",
        "-r",
        "/tmp/r.txt",
    ]
    assert download.filenames == ("a-1.0-py3-none-any.whl", "b-1.0-py3-none-any.whl")


def test_user_hashes_stand_in_when_the_index_gives_none() -> None:
    pins = [
        pin("a-1.0-py3-none-any.whl", CP36, hashes=()),
        pin("b-1.0-py3-none-any.whl", CP36, hashes=()),
    ]
    user_hashes = {NormalizedName("a"): ["SHA256=" + "EF" * 32]}
    (download,) = pip_downloads(pins, "w", INDEX, user_hashes=user_hashes)
    assert not download.can_check_hashes
    assert download.requirements[0].hashes == (f"sha256:{'ef' * 32}",)
    assert download.requirements[1].hashes == ()


def test_format_command_quotes_for_the_shell() -> None:
    argv = ["python", "-m", "pip", "download", "-d", "my wheels", "x @ https://h/x.whl"]
    assert format_command(argv) == ("python -m pip download -d 'my wheels' 'x @ https://h/x.whl'")


def test_differences_missing_unexpected_and_wrong_hashes() -> None:
    a = wheel("a-1.0-py3-none-any.whl")
    b = wheel("b-1.0-py3-none-any.whl")
    c = wheel("c-1.0-py3-none-any.whl", hashes=())
    present = {
        "a-1.0-py3-none-any.whl": {"sha256": SHA},
        "b-1.0-py3-none-any.whl": {"sha256": "00" * 32},
        "c-1.0-py3-none-any.whl": {"sha256": "11" * 32},
        "old-1.0-py3-none-any.whl": {"sha256": "22" * 32},
        "b-2.0-py3-none-any.whl": {"sha256": "33" * 32},
    }
    found = differences(
        [a, b, c, wheel("d-1.0-py3-none-any.whl")],
        present,
        written=["b-2.0-py3-none-any.whl", "b-1.0-py3-none-any.whl", "c-1.0-py3-none-any.whl"],
        user_hashes={NormalizedName("c"): ["sha256:" + "12" * 32]},
    )
    assert found == [
        Difference(
            "hash",
            "b-1.0-py3-none-any.whl",
            f"its link says sha256:{SHA}, the file is sha256:{'00' * 32}",
        ),
        Difference(
            "hash",
            "c-1.0-py3-none-any.whl",
            f"--hash allows {'12' * 32}, the file is sha256:{'11' * 32}",
        ),
        Difference("missing", "d-1.0-py3-none-any.whl"),
        Difference("unexpected", "b-2.0-py3-none-any.whl"),
    ]
    assert str(PipMismatch(found)).splitlines()[1:] == [
        f"  b-1.0-py3-none-any.whl: wrong hash (its link says sha256:{SHA}, "
        f"the file is sha256:{'00' * 32})",
        f"  c-1.0-py3-none-any.whl: wrong hash (--hash allows {'12' * 32}, "
        f"the file is sha256:{'11' * 32})",
        "  d-1.0-py3-none-any.whl: missing",
        "  b-2.0-py3-none-any.whl: not in the resolved set",
    ]
    assert differences([a], {"a-1.0-py3-none-any.whl": {"sha256": SHA}}, []) == []


def test_pip_failed_names_the_command_and_shows_the_end_of_pip_output() -> None:
    error = PipFailed(["python", "-m", "pip", "download", "-d", "my w", "x==1"], 1, "a\nERROR: b\n")
    assert str(error) == (
        "pip failed (exit status 1) running:\n"
        "  python -m pip download -d 'my w' x==1\n"
        "pip said:\n"
        "  a\n"
        "  ERROR: b"
    )
    assert error.exit_status == 1
