"""Other tools' target descriptions as ``--target-file`` (issue 16.13): pex's
``--complete-platform`` JSON and PEP 739 ``build-details.json``, from small files the tests write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import android_platforms, compatible_tags, cpython_tags, mac_platforms

from tagpip.cli import main
from tagpip.errors import Span
from tagpip.tags.tokens import parse_tag_block
from tagpip.target import target_for_block, target_from_file
from tagpip.target.value import TargetError

LINUX_311 = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP",
    "python_full_version": "3.11.7",
    "python_version": "3.11",
    "sys_platform": "linux",
}
PEX_TAGS = [
    "cp311-cp311-manylinux_2_35_x86_64",
    "cp311-cp311-manylinux_2_17_x86_64",
    "cp311-abi3-manylinux_2_35_x86_64",
    "cp311-none-manylinux_2_35_x86_64",
    "py3-none-manylinux_2_35_x86_64",
    "cp311-none-any",
    "py3-none-any",
]


def write(tmp_path: Path, data: Any, name: str = "target.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- pex --complete-platform -------------------------------------------------------------------


def test_a_pex_complete_platform_keeps_its_tags_and_markers(tmp_path: Path) -> None:
    path = write(tmp_path, {"marker_environment": LINUX_311, "compatible_tags": PEX_TAGS})
    target = target_from_file(path)
    assert [str(t) for t in target.tags] == PEX_TAGS
    assert target.marker_environment == LINUX_311
    assert (target.implementation, target.python_version) == ("cp", (3, 11, 7))
    assert target.abis == ("cp311",)
    assert target.platforms == ("manylinux_2_35_x86_64", "manylinux_2_17_x86_64")
    assert target.source == f"the target file {path}"
    assert not target.notes
    block = "[cp311,abi3]"
    narrowed = target_for_block(
        target, parse_tag_block(block, Span("r.txt", 1, 0, len(block), block))
    )
    assert [str(t) for t in narrowed.tags] == [
        "cp311-abi3-manylinux_2_35_x86_64",
        "cp311-none-manylinux_2_35_x86_64",
        "py3-none-manylinux_2_35_x86_64",
        "cp311-none-any",
        "py3-none-any",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"compatible_tags": []}, "'compatible_tags' must be a non-empty list of tags"),
        ({"compatible_tags": ["cp311-cp311"]}, "invalid tag 'cp311-cp311'"),
        ({"marker_environment": []}, "'marker_environment' must be an object"),
        ({"marker_environment": {"sys_platform": "linux"}}, "has no python_version"),
        ({"marker_environment": {**LINUX_311, "os_name": 1}}, "marker 'os_name' must be a string"),
        (
            {"marker_environment": {**LINUX_311, "implementation_name": "brython"}},
            "unknown implementation_name 'brython'",
        ),
    ],
)
def test_bad_pex_files(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    data = {"marker_environment": LINUX_311, "compatible_tags": PEX_TAGS, **change}
    path = write(tmp_path, data)
    with pytest.raises(TargetError) as caught:
        target_from_file(path)
    assert caught.value.message.startswith(
        f"the target file {path} is not a valid pex complete platform: "
    )
    assert caught.value.message.endswith(message)


# --- PEP 739 build-details.json ------------------------------------------------------------------


def build_details(
    platform: str,
    flags: list[str],
    suffix: str,
    name: str = "cpython",
    version: tuple[int, int, int] = (3, 14, 0),
) -> dict[str, Any]:
    info: dict[str, Any] = {"major": version[0], "minor": version[1], "micro": version[2]}
    info.update(releaselevel="final", serial=0)
    implementation_version = dict(info) if name == "cpython" else {**info, "major": 7, "minor": 3}
    return {
        "schema_version": "1.0",
        "base_prefix": "/usr",
        "platform": platform,
        "language": {"version": f"{version[0]}.{version[1]}", "version_info": info},
        "implementation": {"name": name, "version": implementation_version},
        "abi": {"flags": flags, "extension_suffix": suffix},
    }


def test_build_details_of_a_free_threaded_linux_build(tmp_path: Path) -> None:
    data = build_details("linux-x86_64", ["t"], ".cpython-314t-x86_64-linux-gnu.so")
    path = write(tmp_path, data, "build-details.json")
    target = target_from_file(path)
    platforms = ["linux_x86_64"]
    expected = [
        *cpython_tags((3, 14), ["cp314t"], platforms),
        *compatible_tags((3, 14), "cp314", platforms),
    ]
    assert list(target.tags) == expected
    assert target.marker_environment == {
        "implementation_name": "cpython",
        "implementation_version": "3.14.0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": "3.14.0",
        "python_version": "3.14",
        "sys_platform": "linux",
    }
    assert target.notes == (
        f"the target file {path} does not say the glibc or musl version, so the target takes "
        "only linux_x86_64 wheels, no manylinux or musllinux ones; capture the interpreter with "
        "tagpip tags --from-python PATH --json for those",
    )


def test_build_details_of_a_debug_mac_build(tmp_path: Path) -> None:
    data = build_details("macosx-11.0-arm64", ["d"], ".cpython-314d-darwin.so")
    target = target_from_file(write(tmp_path, data))
    platforms = list(mac_platforms((11, 0), "arm64"))
    assert target.abis == ("cp314d", "cp314")  # a debug build loads release extensions too
    assert list(target.tags) == [
        *cpython_tags((3, 14), ["cp314d", "cp314"], platforms),
        *compatible_tags((3, 14), "cp314", platforms),
    ]
    assert target.marker_environment["sys_platform"] == "darwin"
    assert not target.notes


def test_build_details_of_android_and_pypy(tmp_path: Path) -> None:
    android = build_details("android-24-arm64_v8a", [], ".cpython-314-aarch64-linux-android.so")
    target = target_from_file(write(tmp_path, android))
    assert target.platforms == tuple(android_platforms(24, "arm64_v8a"))
    assert target.marker_environment["sys_platform"] == "android"
    pypy = build_details(
        "linux-x86_64", [], ".pypy311-pp73-x86_64-linux-gnu.so", name="pypy", version=(3, 11, 9)
    )
    target = target_from_file(write(tmp_path, pypy))
    assert target.abis == ("pypy311_pp73",)
    assert str(target.tags[0]) == "pp311-pypy311_pp73-linux_x86_64"
    assert target.marker_environment["implementation_version"] == "7.3.9"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": "2.0"}, "unsupported schema_version '2.0' (tagpip reads 1.x)"),
        ({"platform": ""}, "'platform' must be a string such as 'linux-x86_64'"),
        ({"language": {}}, "'language' has no version"),
        ({"implementation": {"name": "brython"}}, "unknown implementation 'brython'"),
        ({"abi": {"flags": "t"}}, "'abi.flags' must be a list of strings"),
    ],
)
def test_bad_build_details(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    data = {**build_details("linux-x86_64", [], ".cpython-314-x86_64-linux-gnu.so"), **change}
    path = write(tmp_path, data)
    with pytest.raises(TargetError) as caught:
        target_from_file(path)
    assert caught.value.message == (
        f"the target file {path} is not a valid PEP 739 build-details.json: {message}"
    )


def test_the_cli_reads_them_and_says_what_build_details_lack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = build_details("linux-aarch64", [], ".cpython-314-aarch64-linux-gnu.so")
    path = write(tmp_path, data)
    assert main(["tags", "--target-file", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "cp314-cp314-linux_aarch64"
    assert err.startswith(f"warning: the target file {path} does not say the glibc")
    assert err.count("\n") == 1
    bad = write(tmp_path, {"compatible_tags": ["x"], "marker_environment": LINUX_311}, "bad.json")
    assert main(["tags", "--target-file", str(bad)]) == 1
    assert "is not a valid pex complete platform: invalid tag 'x'" in capsys.readouterr().err
