"""Targets: tag lists, platform expansion, marker environments, sources, presets, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag

from tagpip.errors import Span, ValidationError
from tagpip.tags import VocabularyError, parse_python_version
from tagpip.tags.tokens import TagSpec, parse_tag_block
from tagpip.target import (
    target_for_block,
    target_from_file,
    target_from_flags,
    target_from_sources,
    target_from_spec,
)
from tagpip.target.presets import preset
from tagpip.target.value import (
    MARKER_NAMES,
    Sourced,
    Target,
    TargetError,
    TargetOptions,
    UndefinedMarkerValue,
    expand_platforms,
)


def strs(target: Target) -> list[str]:
    return [str(t) for t in target.tags]


def block(text: str, source: str = "req.txt", line: int = 1) -> TagSpec:
    full = f"name==1.0{text}"
    span = Span(source, line, len("name==1.0"), len(full), full)
    return parse_tag_block(text, span)


# --- whole tag lists -------------------------------------------------------------------------

CP36_MANYLINUX1 = [
    "cp36-cp36m-manylinux_2_5_x86_64",
    "cp36-cp36m-manylinux1_x86_64",
    "cp36-abi3-manylinux_2_5_x86_64",
    "cp36-abi3-manylinux1_x86_64",
    "cp36-none-manylinux_2_5_x86_64",
    "cp36-none-manylinux1_x86_64",
    "cp35-abi3-manylinux_2_5_x86_64",
    "cp35-abi3-manylinux1_x86_64",
    "cp34-abi3-manylinux_2_5_x86_64",
    "cp34-abi3-manylinux1_x86_64",
    "cp33-abi3-manylinux_2_5_x86_64",
    "cp33-abi3-manylinux1_x86_64",
    "cp32-abi3-manylinux_2_5_x86_64",
    "cp32-abi3-manylinux1_x86_64",
    "py36-none-manylinux_2_5_x86_64",
    "py36-none-manylinux1_x86_64",
    "py3-none-manylinux_2_5_x86_64",
    "py3-none-manylinux1_x86_64",
    "py35-none-manylinux_2_5_x86_64",
    "py35-none-manylinux1_x86_64",
    "py34-none-manylinux_2_5_x86_64",
    "py34-none-manylinux1_x86_64",
    "py33-none-manylinux_2_5_x86_64",
    "py33-none-manylinux1_x86_64",
    "py32-none-manylinux_2_5_x86_64",
    "py32-none-manylinux1_x86_64",
    "py31-none-manylinux_2_5_x86_64",
    "py31-none-manylinux1_x86_64",
    "py30-none-manylinux_2_5_x86_64",
    "py30-none-manylinux1_x86_64",
    "cp36-none-any",
    "py36-none-any",
    "py3-none-any",
    "py35-none-any",
    "py34-none-any",
    "py33-none-any",
    "py32-none-any",
    "py31-none-any",
    "py30-none-any",
]

CP311_WIN_AMD64 = [
    "cp311-cp311-win_amd64",
    "cp311-abi3-win_amd64",
    "cp311-none-win_amd64",
    "cp310-abi3-win_amd64",
    "cp39-abi3-win_amd64",
    "cp38-abi3-win_amd64",
    "cp37-abi3-win_amd64",
    "cp36-abi3-win_amd64",
    "cp35-abi3-win_amd64",
    "cp34-abi3-win_amd64",
    "cp33-abi3-win_amd64",
    "cp32-abi3-win_amd64",
    "py311-none-win_amd64",
    "py3-none-win_amd64",
    "py310-none-win_amd64",
    "py39-none-win_amd64",
    "py38-none-win_amd64",
    "py37-none-win_amd64",
    "py36-none-win_amd64",
    "py35-none-win_amd64",
    "py34-none-win_amd64",
    "py33-none-win_amd64",
    "py32-none-win_amd64",
    "py31-none-win_amd64",
    "py30-none-win_amd64",
    "cp311-none-any",
    "py311-none-any",
    "py3-none-any",
    "py310-none-any",
    "py39-none-any",
    "py38-none-any",
    "py37-none-any",
    "py36-none-any",
    "py35-none-any",
    "py34-none-any",
    "py33-none-any",
    "py32-none-any",
    "py31-none-any",
    "py30-none-any",
]

PY_ANY_312 = [
    "cp312-none-any",
    "py312-none-any",
    "py3-none-any",
    "py311-none-any",
    "py310-none-any",
    "py39-none-any",
    "py38-none-any",
    "py37-none-any",
    "py36-none-any",
    "py35-none-any",
    "py34-none-any",
    "py33-none-any",
    "py32-none-any",
    "py31-none-any",
    "py30-none-any",
]


def test_cp36_manylinux1_whole_list() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    assert strs(target) == CP36_MANYLINUX1
    assert target.abis == ("cp36m",)


def test_pip_no_dot_version_and_legacy_name_give_the_same_target() -> None:
    a = target_from_flags(["manylinux1_x86_64"], "36", "cp", ["cp36m"])
    b = target_from_flags(["manylinux_2_5_x86_64"], "3.6", None, [])
    assert a == b


def test_windows_whole_list() -> None:
    assert strs(target_from_flags(["win_amd64"], "3.11", None, [])) == CP311_WIN_AMD64


def test_aarch64_stops_at_manylinux2014() -> None:
    target = target_from_flags(["manylinux_2_28_aarch64"], "3.12", None, [])
    assert target.platforms == (
        "manylinux_2_28_aarch64",
        "manylinux_2_27_aarch64",
        "manylinux_2_26_aarch64",
        "manylinux_2_25_aarch64",
        "manylinux_2_24_aarch64",
        "manylinux_2_23_aarch64",
        "manylinux_2_22_aarch64",
        "manylinux_2_21_aarch64",
        "manylinux_2_20_aarch64",
        "manylinux_2_19_aarch64",
        "manylinux_2_18_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
    )
    tags = strs(target)
    assert len(tags) == 13 * (3 + 10 + 14) + 15
    assert tags[:3] == [
        "cp312-cp312-manylinux_2_28_aarch64",
        "cp312-cp312-manylinux_2_27_aarch64",
        "cp312-cp312-manylinux_2_26_aarch64",
    ]
    assert tags[12:15] == [
        "cp312-cp312-manylinux2014_aarch64",
        "cp312-abi3-manylinux_2_28_aarch64",
        "cp312-abi3-manylinux_2_27_aarch64",
    ]
    assert tags[-16:] == ["py30-none-manylinux2014_aarch64", *PY_ANY_312]


def test_macos_arm64() -> None:
    target = target_from_flags(["macosx_11_0_arm64"], "3.12", None, [])
    assert target.platforms == (
        "macosx_11_0_arm64",
        "macosx_11_0_universal2",
        *(f"macosx_10_{minor}_universal2" for minor in range(16, 3, -1)),
    )
    tags = strs(target)
    assert len(tags) == 15 * (3 + 10 + 14) + 15
    assert tags[:3] == [
        "cp312-cp312-macosx_11_0_arm64",
        "cp312-cp312-macosx_11_0_universal2",
        "cp312-cp312-macosx_10_16_universal2",
    ]
    assert tags[-16:] == ["py30-none-macosx_10_4_universal2", *PY_ANY_312]
    assert target.marker_environment["platform_machine"] == "arm64"


def test_macos_x86_64() -> None:
    target = target_from_flags(["macosx_10_9_x86_64"], "3.9", None, [])
    assert target.platforms[:7] == (
        "macosx_10_9_x86_64",
        "macosx_10_9_intel",
        "macosx_10_9_fat64",
        "macosx_10_9_fat3",
        "macosx_10_9_universal2",
        "macosx_10_9_universal",
        "macosx_10_8_x86_64",
    )
    assert len(target.platforms) == 36
    assert strs(target)[0] == "cp39-cp39-macosx_10_9_x86_64"
    assert len(target.tags) == 36 * (3 + 7 + 11) + 12


def test_musllinux() -> None:
    target = target_from_flags(["musllinux_1_2_aarch64"], "3.12", None, [])
    tags = strs(target)
    assert tags[:9] == [
        "cp312-cp312-musllinux_1_2_aarch64",
        "cp312-cp312-musllinux_1_1_aarch64",
        "cp312-cp312-musllinux_1_0_aarch64",
        "cp312-abi3-musllinux_1_2_aarch64",
        "cp312-abi3-musllinux_1_1_aarch64",
        "cp312-abi3-musllinux_1_0_aarch64",
        "cp312-none-musllinux_1_2_aarch64",
        "cp312-none-musllinux_1_1_aarch64",
        "cp312-none-musllinux_1_0_aarch64",
    ]
    assert len(tags) == 96
    assert tags[-15:] == PY_ANY_312


def test_pypy_uses_its_own_abi_never_the_hosts() -> None:
    target = target_from_flags(["manylinux_2_17_x86_64"], "3.10", "pp", [])
    assert target.abis == ("pypy310_pp73",)
    tags = strs(target)
    assert tags[:3] == [
        "pp310-pypy310_pp73-manylinux_2_17_x86_64",
        "pp310-pypy310_pp73-manylinux2014_x86_64",
        "pp310-pypy310_pp73-manylinux_2_16_x86_64",
    ]
    # 16 platforms (2_17..2_5 plus the three legacy names) for the ABI and none, then py tags.
    assert tags[16] == "pp310-none-manylinux_2_17_x86_64"
    assert "pp3-none-any" in tags
    assert "pp310-none-any" not in tags
    assert len(tags) == 16 * (2 + 12) + 1 + 12
    assert not any(t.startswith("cp") for t in tags)
    env = target.marker_environment
    assert env["implementation_name"] == "pypy"
    assert env["platform_python_implementation"] == "PyPy"


def test_free_threaded_takes_abi3t_not_abi3() -> None:
    target = target_from_flags(["manylinux_2_28_x86_64"], "3.13", None, ["cp313t"])
    tags = strs(target)
    assert tags[0] == "cp313-cp313t-manylinux_2_28_x86_64"
    assert "cp313-abi3-manylinux_2_28_x86_64" not in tags
    assert "cp313-abi3t-manylinux_2_28_x86_64" in tags
    assert "cp312-abi3t-manylinux1_x86_64" in tags


def test_cp38_has_no_m_and_cp27_is_wide() -> None:
    assert target_from_flags(["win32"], "3.8", None, []).abis == ("cp38",)
    assert target_from_flags(["manylinux1_i686"], "2.7", None, []).abis == ("cp27mu",)


# --- platforms -----------------------------------------------------------------------------


def test_manylinux_expansion_places_legacy_names_after_their_level() -> None:
    assert expand_platforms(["manylinux2014_x86_64"]) == (
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux_2_16_x86_64",
        "manylinux_2_15_x86_64",
        "manylinux_2_14_x86_64",
        "manylinux_2_13_x86_64",
        "manylinux_2_12_x86_64",
        "manylinux2010_x86_64",
        "manylinux_2_11_x86_64",
        "manylinux_2_10_x86_64",
        "manylinux_2_9_x86_64",
        "manylinux_2_8_x86_64",
        "manylinux_2_7_x86_64",
        "manylinux_2_6_x86_64",
        "manylinux_2_5_x86_64",
        "manylinux1_x86_64",
    )


def test_several_platforms_keep_order_expand_in_place_and_drop_repeats() -> None:
    assert expand_platforms(
        ["linux_x86_64", "manylinux2010_x86_64", "manylinux_2_6_x86_64", "win_amd64", "any"]
    ) == (
        "linux_x86_64",
        "manylinux_2_12_x86_64",
        "manylinux2010_x86_64",
        "manylinux_2_11_x86_64",
        "manylinux_2_10_x86_64",
        "manylinux_2_9_x86_64",
        "manylinux_2_8_x86_64",
        "manylinux_2_7_x86_64",
        "manylinux_2_6_x86_64",
        "manylinux_2_5_x86_64",
        "manylinux1_x86_64",
        "win_amd64",
        "any",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.6", (3, 6)), ("36", (3, 6)), ("310", (3, 10)), ("3.6.15", (3, 6, 15))],
)
def test_python_version_forms(text: str, expected: tuple[int, ...]) -> None:
    assert parse_python_version(text) == expected


@pytest.mark.parametrize("text", ["3", "abc", "3.x", "1.2.3.4"])
def test_bad_python_versions(text: str) -> None:
    with pytest.raises(VocabularyError):
        parse_python_version(text)


def test_unknown_implementation_suggests_the_short_code() -> None:
    with pytest.raises(TargetError) as info:
        target_from_flags(["win_amd64"], "3.11", "cpython", [])
    assert info.value.hint == "did you mean 'cp'?"


def test_a_platform_without_a_python_version_is_an_error() -> None:
    with pytest.raises(TargetError, match="no Python version"):
        target_from_flags(["manylinux2014_x86_64"], None, None, [])


# --- ranking and Requires-Python -------------------------------------------------------------


def test_wheel_rank_takes_the_best_tag() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    assert target.wheel_rank([Tag("py3", "none", "any")]) == 32
    assert (
        target.wheel_rank([Tag("py3", "none", "any"), Tag("cp36", "abi3", "manylinux1_x86_64")])
        == 3
    )
    assert target.wheel_rank([Tag("cp37", "cp37m", "manylinux1_x86_64")]) is None


def test_requires_python_with_and_without_the_patch() -> None:
    xy = target_from_flags(["manylinux1_x86_64"], "3.7", None, [])
    xyz = target_from_flags(["manylinux1_x86_64"], "3.7.0", None, [])
    # With only X.Y, every 3.7.z must pass: 3.7.0 refuses >=3.7.1 (as pip and uv refuse it).
    assert not xy.allows_requires_python(SpecifierSet(">=3.7.1"))
    assert not xy.allows_requires_python(SpecifierSet("<3.7.5"))
    assert xy.allows_requires_python(SpecifierSet(">=3.7,!=3.8.*"))
    assert xy.allows_requires_python(SpecifierSet("==3.7.*"))
    assert not xyz.allows_requires_python(SpecifierSet(">=3.7.1"))
    assert target_from_flags(["manylinux1_x86_64"], "3.7.9", None, []).allows_requires_python(
        SpecifierSet(">=3.7.1")
    )
    assert not xy.allows_requires_python(SpecifierSet(">=3.8"))
    assert xy.allows_requires_python(SpecifierSet(""))


# --- markers -------------------------------------------------------------------------------


def test_marker_environment_of_flags() -> None:
    target = target_from_flags(["win_arm64"], "3.12.4", None, [])
    assert target.marker_environment == {
        "implementation_name": "cpython",
        "implementation_version": "3.12.4",
        "os_name": "nt",
        "platform_machine": "ARM64",
        "platform_python_implementation": "CPython",
        "platform_system": "Windows",
        "python_full_version": "3.12.4",
        "python_version": "3.12",
        "sys_platform": "win32",
    }


def test_markers_use_the_target_never_the_host() -> None:
    target = target_from_flags(["win_amd64"], "3.6", None, [])
    assert target.evaluate(Marker('sys_platform == "win32"'))
    assert not target.evaluate(Marker('sys_platform == "linux"'))
    assert target.evaluate(Marker('python_version < "3.8"'))
    assert target.evaluate(Marker('platform_machine == "AMD64" and os_name == "nt"'))


def test_undefined_value_is_an_error_naming_the_option() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    with pytest.raises(UndefinedMarkerValue) as info:
        target.evaluate(Marker('platform_release >= "5"'))
    assert info.value.variable == "platform_release"
    assert "--from-python" in info.value.option
    assert info.value.message == (
        "the marker 'platform_release >= \"5\"' needs 'platform_release', "
        "which the target does not define"
    )


@pytest.mark.parametrize(
    "marker",
    [
        'python_full_version >= "3.6.1"',
        'python_full_version < "3.6.8"',
        'python_full_version == "3.6.15"',
        'implementation_version != "3.6.0"',
        'python_full_version >= "3.6.1" and sys_platform == "linux"',
    ],
)
def test_a_marker_true_for_some_patch_levels_is_included_and_said(marker: str) -> None:
    """An X.Y target stands for some X.Y.Z: a marker that holds for some patch levels and not
    for others includes the dependency (a superset that installs harmlessly), as pip and uv
    include it for some interpreter of that X.Y; assumes_patch_level says so."""
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    assert target.evaluate(Marker(marker))
    assert target.assumes_patch_level(Marker(marker))
    exact = target_from_flags(["manylinux1_x86_64"], "3.6.0", None, [])
    assert exact.evaluate(Marker(marker)) == Marker(marker).evaluate(
        {**exact.marker_environment, "extra": ""}
    )
    assert not exact.assumes_patch_level(Marker(marker))


def test_a_patch_level_marker_with_a_truly_undefined_value_is_still_an_error() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    with pytest.raises(UndefinedMarkerValue) as info:
        target.evaluate(Marker('python_full_version >= "3.6.1" or platform_release >= "5"'))
    assert info.value.variable == "platform_release"
    # Decided at every patch level: no assumption, nothing to say.
    assert not target.assumes_patch_level(Marker('python_full_version >= "3.6"'))
    assert not target.evaluate(Marker('python_full_version >= "3.6.1" and sys_platform == "win32"'))
    assert not target.assumes_patch_level(
        Marker('python_full_version >= "3.6.1" and sys_platform == "win32"')
    )


def test_undefined_value_that_cannot_change_the_answer_is_fine() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    assert target.evaluate(Marker('python_version < "3.8" or platform_release >= "5"'))
    assert not target.evaluate(Marker('python_version >= "3.8" and platform_release >= "5"'))
    assert target.evaluate(Marker('python_full_version >= "3.6"'))
    assert not target.evaluate(Marker('python_full_version < "3.6"'))
    assert target.evaluate(Marker('python_full_version == "3.6.*"'))


def test_full_version_defined_when_given() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6.0", None, [])
    assert not target.evaluate(Marker('python_full_version >= "3.6.1"'))
    assert not target.assumes_patch_level(Marker('python_full_version >= "3.6.1"'))


def test_extras() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    marker = Marker('extra == "socks" and python_version >= "3"')
    assert not target.evaluate(marker)
    assert target.evaluate(marker, ["security", "socks"])


def test_universal2_has_no_single_machine() -> None:
    target = target_from_flags(["macosx_11_0_universal2"], "3.12", None, [])
    assert "platform_machine" not in target.marker_environment
    assert target.evaluate(Marker('sys_platform == "darwin"'))
    with pytest.raises(UndefinedMarkerValue) as info:
        target.evaluate(Marker('platform_machine == "arm64"'))
    assert info.value.option.startswith("--platform")


def test_host_values_never_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    import packaging.markers

    def poisoned() -> dict[str, str]:
        return dict.fromkeys(MARKER_NAMES, "host-value")

    monkeypatch.setattr(packaging.markers, "default_environment", poisoned)
    target = target_from_flags(["macosx_11_0_universal2"], "3.6", None, [])
    # No marker name ever takes the host's value: each is the target's own, or undefined.
    for name in MARKER_NAMES:
        try:
            result: bool | str = target.evaluate(Marker(f'{name} == "host-value"'))
        except UndefinedMarkerValue as error:
            result = error.variable
        assert result in (False, name)
    undefined = set(MARKER_NAMES) - set(target.marker_environment)
    assert undefined == {
        "implementation_version",
        "platform_machine",
        "platform_release",
        "platform_version",
        "python_full_version",
    }
    # CPython's implementation_version is the X.Y.Z of python_full_version: unlike the others,
    # it differs from "host-value" at every patch level, so it is decided (never the host's).
    for name in sorted(undefined - {"python_full_version", "implementation_version"}):
        with pytest.raises(UndefinedMarkerValue):
            target.evaluate(Marker(f'{name} != "host-value"'))
    assert target.evaluate(Marker('implementation_version != "host-value"'))


# --- tag blocks and sources ------------------------------------------------------------------


def test_from_spec() -> None:
    target = target_from_spec(block("[manylinux1,cp36,x86_64]"))
    assert strs(target) == CP36_MANYLINUX1


def test_from_spec_needs_a_python_tag() -> None:
    with pytest.raises(TargetError, match="python tag"):
        target_from_spec(block("[manylinux1,x86_64]"))


def fake_host() -> Target:
    return target_from_flags(["linux_x86_64", "manylinux_2_36_x86_64"], "3.11.7", None, [])


def test_host_only_when_nothing_is_given() -> None:
    host = fake_host()
    assert target_from_sources(host=host) is host


def test_command_line_beats_file_options_beats_blocks() -> None:
    file_options = TargetOptions(
        platforms=(
            Sourced(
                "manylinux2014_x86_64", Span("r.txt", 1, 11, 31, "--platform manylinux2014_x86_64")
            ),
        ),
        python_version=Sourced("3.8"),
    )
    target = target_from_sources(
        command_line=TargetOptions.from_strings(python_version="3.9"),
        file_options=[file_options],
        blocks=[block("[manylinux1,x86_64]")],
        host=fake_host(),
    )
    assert target.python_version == (3, 9)
    assert target.platforms[0] == "manylinux_2_17_x86_64"


def test_blocks_agree_and_the_highest_level_wins() -> None:
    specs = [block("[manylinux1,cp36,x86_64]", line=1), block("[manylinux2014,cp36]", line=2)]
    target = target_from_sources(blocks=specs, host=fake_host())
    assert target.platforms[0] == "manylinux_2_17_x86_64"
    narrow = target_for_block(target, specs[0])
    assert narrow.platforms == ("manylinux_2_5_x86_64", "manylinux1_x86_64")
    assert set(narrow.tags) <= set(target.tags)
    assert strs(narrow) == CP36_MANYLINUX1


def test_blocks_that_disagree_cite_both_lines() -> None:
    specs = [block("[manylinux1,cp36,x86_64]", line=3), block("[cp37]", line=7)]
    with pytest.raises(TargetError) as info:
        target_from_sources(blocks=specs, host=fake_host())
    assert info.value.message == "this block is for cp37 but the block at req.txt:3:10 is for cp36"
    assert info.value.span == specs[1].span
    specs = [block("[manylinux1,cp36,x86_64]", line=3), block("[win_amd64]", line=4)]
    with pytest.raises(TargetError, match=r"is for win but the block at req.txt:3:10"):
        target_from_sources(blocks=specs, host=fake_host())
    specs = [block("[manylinux2014,x86_64]", line=3), block("[cp36,manylinux2014,aarch64]", line=5)]
    with pytest.raises(TargetError, match=r"is for aarch64 but the block at req.txt:3:10"):
        target_from_sources(blocks=specs, host=fake_host())


def test_a_block_the_target_cannot_run_names_the_line() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    spec = block("[manylinux2014]", line=4)
    with pytest.raises(TargetError) as info:
        target_for_block(target, spec)
    assert info.value.span == spec.span
    assert info.value.message == (
        "this block is for manylinux_2_17_x86_64 but the target is CPython 3.6 on manylinux1 x86_64"
    )
    with pytest.raises(TargetError, match="asks for cp37"):
        target_for_block(target, block("[cp37]"))


def test_every_failing_block_is_reported() -> None:
    cmd = TargetOptions.from_strings(["manylinux1_x86_64"], "3.6")
    with pytest.raises(ValidationError) as info:
        target_from_sources(
            command_line=cmd, blocks=[block("[cp37]", line=1), block("[cp38]", line=2)]
        )
    assert [d.span.line for d in info.value.diagnostics if d.span] == [1, 2]


def test_block_narrowing_by_abi_and_any() -> None:
    target = target_from_flags(["manylinux1_x86_64"], "3.6", None, [])
    abi3 = target_for_block(target, block("[abi3]"))
    assert {t.abi for t in abi3.tags} == {"abi3", "none"}
    pure = target_for_block(target, block("[any]"))
    assert {t.platform for t in pure.tags} == {"any"}
    with pytest.raises(TargetError, match="ABI cp37m"):
        target_for_block(target, block("[cp37m]"))


def test_version_alone_takes_the_host_platforms() -> None:
    target = target_from_sources(
        command_line=TargetOptions.from_strings(python_version="3.8"), host=fake_host()
    )
    assert target.platforms == fake_host().platforms
    assert target.abis == ("cp38",)
    assert target.marker_environment["python_version"] == "3.8"
    assert "python_full_version" not in target.marker_environment


def test_named_target_and_flags_do_not_mix() -> None:
    with pytest.raises(TargetError, match="cannot be combined"):
        target_from_sources(
            base=preset("aws-lambda-python3.12-x86_64"),
            command_line=TargetOptions.from_strings(python_version="3.9"),
        )


def test_file_options_of_two_files_must_agree() -> None:
    one = TargetOptions(
        python_version=Sourced("3.8", Span("a.txt", 1, 0, 22, "--python-version 3.8"))
    )
    two = TargetOptions(
        python_version=Sourced("3.9", Span("b.txt", 2, 0, 22, "--python-version 3.9"))
    )
    with pytest.raises(TargetError) as info:
        target_from_sources(file_options=[one, two], host=fake_host())
    assert (
        info.value.message == "--python-version 3.9 contradicts --python-version 3.8 at a.txt:1:1"
    )


# --- presets and JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("aws-lambda-python3.9-x86_64", "cp39-cp39-manylinux_2_26_x86_64"),
        ("aws-lambda-python3.11-arm64", "cp311-cp311-manylinux_2_26_aarch64"),
        ("aws-lambda-python3.12-x86_64", "cp312-cp312-manylinux_2_34_x86_64"),
        ("aws-lambda-python3.13-arm64", "cp313-cp313-manylinux_2_34_aarch64"),
        ("aws-lambda-python3.14-arm64", "cp314-cp314-manylinux_2_34_aarch64"),
    ],
)
def test_lambda_presets(name: str, first: str) -> None:
    target = preset(name)
    assert str(target.tags[0]) == first
    assert target.marker_environment["sys_platform"] == "linux"


def test_unknown_preset_suggests() -> None:
    with pytest.raises(TargetError) as info:
        preset("aws-lambda-python3.12")
    assert info.value.hint is not None
    assert info.value.hint.startswith(
        "did you mean one of 'aws-lambda-python3.12-arm64', 'aws-lambda-python3.12-x86_64'? "
    )


def test_json_round_trip(tmp_path: Path) -> None:
    for target in (
        target_from_flags(["manylinux1_x86_64"], "3.6.15", None, []),
        target_from_flags(["macosx_11_0_universal2"], "3.12", None, []),
        target_from_flags(["manylinux_2_17_x86_64"], "3.10", "pp", []),
        fake_host(),
    ):
        data = target.to_json()
        assert data["version"] == 1
        assert Target.from_json(json.loads(json.dumps(data))) == target
        path = tmp_path / "target.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        assert target_from_file(path) == target


def test_json_tags_are_kept_as_captured() -> None:
    data = target_from_flags(["manylinux1_x86_64"], "3.6", None, []).to_json()
    data["tags"] = ["cp36-cp36m-manylinux1_x86_64", "py3-none-any"]
    target = Target.from_json(data)
    assert strs(target) == data["tags"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "unsupported version 2"),
        ({"python_version": 3}, "'python_version' must be a string"),
        ({"platforms": []}, "'platforms' is empty"),
        ({"markers": {"os": "nt"}}, "unknown marker 'os'"),
        ({"tags": ["cp36"]}, "invalid tag 'cp36'"),
    ],
)
def test_bad_json(change: dict[str, object], message: str) -> None:
    data = target_from_flags(["manylinux1_x86_64"], "3.6", None, []).to_json()
    data.update(change)
    with pytest.raises(TargetError, match=message):
        Target.from_json(data)


def test_unreadable_target_file(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read"):
        target_from_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(TargetError, match="is not JSON"):
        target_from_file(tmp_path / "bad.json")


def test_describe() -> None:
    assert (
        preset("aws-lambda-python3.12-arm64").describe() == "CPython 3.12 on manylinux_2_34 aarch64"
    )
    assert target_from_flags(["manylinux1_x86_64"], "3.6", None, []).describe() == (
        "CPython 3.6 on manylinux1 x86_64"
    )
