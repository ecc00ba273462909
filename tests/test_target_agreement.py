"""`tagpip check` and the fetching commands never disagree about a target option (issue 16.8).

Every good and bad example goes through both: the check path (a requirement file's option line,
as `tagpip check` reads it) and the fetching path's target construction (the same value given to
pip's flags, as `download` builds its Target). One must accept exactly what the other accepts.
"""

from __future__ import annotations

import pytest

from tagpip.errors import TagpipError
from tagpip.requirements.syntax import check_requirements_text
from tagpip.target import target_from_flags, target_from_spec

VERSIONS = ["3.12", "312", "36", "3.6.15", "3", "3.x", "three", "", "3.12.1.1", "3..1", "٣.١٢"]
IMPLEMENTATIONS = ["cp", "pp", "py", "ip", "jy", "CP", "cpython", "graal", "graalpy", "x"]
PLATFORMS = [
    "manylinux2014_x86_64",
    "manylinux_2_28_aarch64",
    "manylinux_2_45_x86_64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
    "macosx_10_9_universal2",
    "win_amd64",
    "win32",
    "linux_x86_64",
    "manylinux3_x86_64",
    "manylinux1_aarch64",
    "macosx_10_9_arm64",
    "nonsense",
    # issue 16.12: the families packaging 26 knows, and ones that cannot exist
    "ios_13_0_arm64_iphoneos",
    "ios_13_0_x86_64_iphonesimulator",
    "ios_11_0_arm64_iphoneos",
    "android_24_arm64_v8a",
    "android_24_x86",
    "android_15_x86_64",
    "pyemscripten_2026_0_wasm32",
    "pyodide_2024_0_wasm32",
    "manylinux_2_17_armv8l",
    "musllinux_1_2_loongarch64",
    "manylinux_2_16_aarch64",
]
ABIS = [
    *("cp312", "cp312d", "cp313t", "cp313td", "cp313dt", "cp38d", "cp37dm", "abi3", "abi3t"),
    *("none", "cp38m", "cp312m", "cp312t", "graalpy242_311_native", "x"),
]


def check_accepts(line: str) -> bool:
    """Whether `tagpip check` reports no error for a file holding ``line``."""
    return not check_requirements_text(line + "\n").errors


def fetch_accepts(
    platform: str = "manylinux2014_x86_64",
    version: str = "3.12",
    implementation: str | None = None,
    abi: str | None = None,
) -> bool:
    """Whether the fetching commands build a target from these flags."""
    try:
        target_from_flags([platform], version, implementation, [abi] if abi else [])
    except TagpipError:
        return False
    return True


@pytest.mark.parametrize("version", VERSIONS)
def test_python_version(version: str) -> None:
    assert check_accepts(f"--python-version {version}" if version else "--python-version ''") == (
        fetch_accepts(version=version)
    )


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_implementation(implementation: str) -> None:
    assert check_accepts(f"--implementation {implementation}") == fetch_accepts(
        implementation=implementation
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform(platform: str) -> None:
    assert check_accepts(f"--platform {platform}") == fetch_accepts(platform=platform)


@pytest.mark.parametrize("abi", ABIS)
def test_abi(abi: str) -> None:
    assert check_accepts(f"--abi {abi}") == fetch_accepts(abi=abi)


def test_bare_major_is_refused_by_both() -> None:
    """pip takes ``--python-version 3``; tagpip needs a minor version, in check as in download."""
    assert not check_accepts("--python-version 3")
    assert not fetch_accepts(version="3")


@pytest.mark.parametrize("version", [(10, 9), (10, 15), (10, 4)])
def test_universal2_below_macos_11(version: tuple[int, int]) -> None:
    """``macosx_10_9_universal2`` is a common wheel tag: a block and the flags take it, and the
    target's tags are packaging's, all arguments explicit, in packaging's order."""
    from packaging.tags import compatible_tags, cpython_tags, mac_platforms

    from tagpip.errors import Span
    from tagpip.tags.tokens import parse_tag_block

    platform = f"macosx_{version[0]}_{version[1]}_universal2"
    assert check_accepts(f"--platform {platform}")
    block = f"[{platform},cp39]"
    target = target_from_spec(parse_tag_block(block, Span("r.txt", 1, 0, len(block), block)))
    platforms = list(mac_platforms(version, "universal2"))
    expected = [
        *cpython_tags((3, 9), ["cp39"], platforms),
        *compatible_tags((3, 9), "cp39", platforms),
    ]
    assert list(target.tags) == expected
    assert target.tags == target_from_flags([platform], "3.9", None, []).tags
    assert "platform_machine" not in target.marker_environment
    assert target.marker_environment["sys_platform"] == "darwin"
