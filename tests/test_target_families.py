"""Every ABI a block can name and every target family packaging knows (issue 16.10, 16.12, 16.14).

Each target is compared with packaging's own generators, every argument explicit: the interpreter
tags with ``cpython_tags``/``generic_tags`` plus ``compatible_tags``, the platform lists with
``ios_platforms``, ``android_platforms``, ``mac_platforms`` and packaging's manylinux and musllinux
generators fed a glibc or musl version (they read the host's otherwise). Blocks go through both
``tagpip check`` and the fetching path's target, which must agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import packaging
import pytest
from packaging import _manylinux, _musllinux
from packaging.tags import (
    Tag,
    android_platforms,
    compatible_tags,
    cpython_tags,
    generic_tags,
    ios_platforms,
    mac_platforms,
)
from packaging.version import Version

from tagpip.errors import Span, TagpipError
from tagpip.requirements.syntax import check_requirements_text
from tagpip.tags.tokens import TagSpec, TokenError, parse_tag_block
from tagpip.target import host_target, target_for_block, target_from_flags, target_from_sources
from tagpip.target.value import Target, TargetError, TargetOptions


def spec(text: str, line: int = 1) -> TagSpec:
    full = f"name==1.0{text}"
    return parse_tag_block(text, Span("req.txt", line, len("name==1.0"), len(full), full))


def from_blocks(*texts: str) -> Target:
    """The target the fetching commands build from these blocks alone (never the host)."""
    blocks = [spec(text, line) for line, text in enumerate(texts, 1)]

    def no_host() -> Target:
        raise AssertionError("the host was read")

    return target_from_sources(blocks=blocks, host=no_host)


def check_accepts(*texts: str) -> bool:
    lines = "".join(f"name==1.0{text}\n" for text in texts)
    return not check_requirements_text(lines).errors


def fetch_accepts(*texts: str) -> bool:
    try:
        from_blocks(*texts)
    except TagpipError:
        return False
    return True


def cpython(version: tuple[int, int], abis: Sequence[str], platforms: Sequence[str]) -> list[Tag]:
    """What a CPython of that build computes with ``sys_tags()``, every argument explicit."""
    return [
        *cpython_tags(version, list(abis), list(platforms)),
        *compatible_tags(version, f"cp{version[0]}{version[1]}", list(platforms)),
    ]


def manylinux(
    monkeypatch: pytest.MonkeyPatch, glibc: tuple[int, int], archs: Sequence[str]
) -> list[str]:
    """packaging's own manylinux list for a system with this glibc (no _manylinux module)."""
    with monkeypatch.context() as patch:
        patch.setattr(_manylinux, "_get_glibc_version", lambda: _manylinux._GLibCVersion(*glibc))
        patch.setattr(_manylinux, "_have_compatible_abi", lambda executable, archs: True)
        patch.setattr(_manylinux, "_get_manylinux_module", lambda: None)
        return list(_manylinux.platform_tags(list(archs)))


def musllinux(
    monkeypatch: pytest.MonkeyPatch, musl: tuple[int, int], archs: Sequence[str]
) -> list[str]:
    """packaging's own musllinux list for a system with this musl."""
    with monkeypatch.context() as patch:
        version = _musllinux._MuslVersion(*musl)
        patch.setattr(_musllinux, "_get_musl_version", lambda executable: version)
        return list(_musllinux.platform_tags(list(archs)))


# --- item 10: any ABI the flags can name -------------------------------------------------------

ABI_BLOCKS = [
    # block, version, the ABIs it makes the target's, the platform
    ("[manylinux_2_28,cp313,cp313t,x86_64]", (3, 13), ["cp313t"]),
    ("[manylinux_2_28,cp313t,x86_64]", (3, 13), ["cp313t"]),
    ("[manylinux_2_28,cp314,cp314td,x86_64]", (3, 14), ["cp314td"]),
    ("[manylinux_2_28,cp38,cp38d,x86_64]", (3, 8), ["cp38d"]),
    ("[manylinux_2_28,cp38,cp38d,cp38,x86_64]", (3, 8), ["cp38d", "cp38"]),
    ("[manylinux_2_28,cp37,cp37dm,x86_64]", (3, 7), ["cp37dm"]),
    ("[manylinux_2_28,cp315,cp315t,x86_64]", (3, 15), ["cp315t"]),
]


@pytest.mark.parametrize(("block", "version", "abis"), ABI_BLOCKS)
def test_a_block_names_any_abi_and_check_agrees(
    block: str, version: tuple[int, int], abis: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_accepts(block)
    target = from_blocks(block)
    platforms = manylinux(monkeypatch, (2, 28), ["x86_64"])
    assert list(target.tags) == cpython(version, abis, platforms)
    assert target.abis == tuple(abis)
    # The flags say the same thing.
    flags = target_from_flags(["manylinux_2_28_x86_64"], f"{version[0]}.{version[1]}", None, abis)
    assert flags.tags == target.tags


def test_free_threaded_takes_abi3t_back_to_cp32(monkeypatch: pytest.MonkeyPatch) -> None:
    """PEP 803: abi3t (packaging >= 26.1), never abi3, for a free-threaded 3.15."""
    assert Version(packaging.__version__) >= Version("26.1")
    tags = [str(t) for t in from_blocks("[manylinux_2_28,cp315t,x86_64]").tags]
    assert "cp315-abi3t-manylinux_2_28_x86_64" in tags
    assert "cp32-abi3t-manylinux1_x86_64" in tags
    assert not any("-abi3-" in t for t in tags)


@pytest.mark.parametrize(
    "block",
    [
        "[manylinux_2_28,cp312t,x86_64]",  # free-threading starts at 3.13
        "[manylinux_2_28,cp313dt,x86_64]",  # CPython writes 'td'
        "[manylinux_2_28,cp38dm,x86_64]",  # no 'm' from 3.8
        "[manylinux_2_28,cp39,cp38d,x86_64]",  # the ABI of another version
    ],
)
def test_abis_that_cannot_exist_are_refused_by_both(block: str) -> None:
    assert not check_accepts(block)
    assert not fetch_accepts(block)


def test_a_gil_block_and_a_free_threaded_block_cannot_share_a_target() -> None:
    """A block that names no ABI takes the target's; two that name both builds conflict."""
    assert from_blocks("[cp313,manylinux_2_28,x86_64]", "[cp313t]").abis == ("cp313t",)
    with pytest.raises(TargetError) as caught:
        from_blocks("[manylinux_2_28,cp313,cp313,x86_64]", "[manylinux_2_28,cp313t,x86_64]")
    assert caught.value.message == (
        "this block asks for the ABI cp313t but the block at req.txt:1:10 asks for cp313: "
        "one is a free-threaded build, the other is not"
    )


def test_an_explicit_abi_beats_the_blocks() -> None:
    """--abi on the command line comes first; the block is then checked against it."""
    options = TargetOptions.from_strings(["manylinux_2_28_x86_64"], "3.13", None, ["cp313"])
    with pytest.raises(TargetError, match="the ABI cp313t of this block does not run"):
        target_from_sources(command_line=options, blocks=[spec("[cp313t]")])


# --- item 12: every family packaging knows -----------------------------------------------------


@pytest.mark.parametrize(
    "multiarch", ["arm64_iphoneos", "arm64_iphonesimulator", "x86_64_iphonesimulator"]
)
def test_ios(multiarch: str) -> None:
    block = f"[ios_13_0_{multiarch},cp313]"
    assert check_accepts(block)
    target = from_blocks(block)
    platforms = list(ios_platforms((13, 0), multiarch))
    assert target.platforms == tuple(platforms)
    assert list(target.tags) == cpython((3, 13), ["cp313"], platforms)
    # PEP 730: platform.machine() is the device model, so it stays undefined; platform.system()
    # is iOS, the system packaging builds ios_* tags for.
    assert target.marker_environment == {
        "implementation_name": "cpython",
        "os_name": "posix",
        "platform_python_implementation": "CPython",
        "platform_system": "iOS",
        "python_version": "3.13",
        "sys_platform": "ios",
    }
    # The family and the architecture as two tokens say the same.
    assert from_blocks(f"[ios_13_0,{multiarch},cp313]").tags == target.tags


@pytest.mark.parametrize(
    ("abi", "machine"),
    [("arm64_v8a", "aarch64"), ("x86_64", "x86_64"), ("armeabi_v7a", None), ("x86", "i686")],
)
def test_android(abi: str, machine: str | None) -> None:
    block = f"[android_24_{abi},cp313]"
    assert check_accepts(block)
    target = from_blocks(block)
    platforms = list(android_platforms(24, abi))
    assert platforms[0] == f"android_24_{abi}"
    assert platforms[-1] == f"android_16_{abi}"
    assert target.platforms == tuple(platforms)
    assert list(target.tags) == cpython((3, 13), ["cp313"], platforms)
    env = target.marker_environment
    assert (env["sys_platform"], env["platform_system"], env["os_name"]) == (
        "android",
        "Android",
        "posix",
    )
    assert env.get("platform_machine") == machine


def test_android_synonyms_map_to_the_android_abi() -> None:
    assert from_blocks("[android_24,aarch64,cp313]").platforms[0] == "android_24_arm64_v8a"


def test_pyemscripten() -> None:
    """PEP 783: one platform version per Python, then sysconfig's own platform, which names
    the Emscripten release of that platform version (packaging's _emscripten_platforms)."""
    block = "[pyemscripten_2026_0_wasm32,cp314]"
    assert check_accepts(block)
    target = from_blocks(block)
    platforms = ["pyemscripten_2026_0_wasm32", "emscripten_5_0_3_wasm32"]
    assert target.platforms == tuple(platforms)
    assert list(target.tags) == cpython((3, 14), ["cp314"], platforms)
    env = target.marker_environment
    assert env["sys_platform"] == "emscripten"
    assert env["platform_system"] == "Emscripten"
    assert env["platform_machine"] == "wasm32"


def test_pyodide_is_not_a_family_packaging_knows() -> None:
    """packaging 26 builds no pyodide_* tag; tagpip follows it (docs/targets.md)."""
    import inspect

    from packaging import tags

    assert "pyodide" not in inspect.getsource(tags)
    assert not check_accepts("[pyodide_2024_0_wasm32,cp312]")


def test_graalpy(monkeypatch: pytest.MonkeyPatch) -> None:
    block = "[graalpy311,graalpy242_311_native,manylinux_2_28_x86_64]"
    assert check_accepts(block)
    target = from_blocks(block)
    platforms = manylinux(monkeypatch, (2, 28), ["x86_64"])
    # sys_tags for GraalPy: generic_tags, then compatible_tags with no interpreter tag.
    expected = [
        *generic_tags("graalpy311", ["graalpy242_311_native"], platforms),
        *compatible_tags((3, 11), None, platforms),
    ]
    assert list(target.tags) == expected
    env = target.marker_environment
    assert env["implementation_name"] == "graalpy"
    assert env["platform_python_implementation"] == "GraalVM"
    flags = target_from_flags(
        ["manylinux_2_28_x86_64"], "3.11", "graalpy", ["graalpy242_311_native"]
    )
    assert flags.tags == target.tags
    assert not flags.notes


def test_graalpy_without_its_abi_says_so() -> None:
    target = target_from_flags(["manylinux_2_28_x86_64"], "3.11", "graalpy", [])
    assert target.abis == ()
    assert len(target.notes) == 1
    assert target.notes[0].startswith("a GraalPy target without --abi takes only wheels")


def test_abi3_does_not_fit_graalpy() -> None:
    assert not check_accepts("[graalpy311,abi3,manylinux_2_28_x86_64]")


@pytest.mark.parametrize("family", ["manylinux", "musllinux"])
def test_armv8l_also_runs_armv7l(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """packaging's _linux_platforms gives a 32-bit ARM on a 64-bit kernel armv8l then armv7l."""
    level = "2_28" if family == "manylinux" else "1_2"
    block = f"[{family}_{level}_armv8l,cp312]"
    assert check_accepts(block)
    target = from_blocks(block)
    if family == "manylinux":
        platforms = manylinux(monkeypatch, (2, 28), ["armv8l", "armv7l"])
    else:
        platforms = musllinux(monkeypatch, (1, 2), ["armv8l", "armv7l"])
    assert target.platforms == tuple(platforms)
    assert list(target.tags) == cpython((3, 12), ["cp312"], platforms)
    assert target.marker_environment["platform_machine"] == "armv8l"
    # A block without an architecture on that target takes its own (armv8l), not armv7l.
    assert target_for_block(target, spec(f"[{family}_{level}]")).platforms == target.platforms


MANYLINUX_ARCHS = sorted(_manylinux._ALLOWED_ARCHS | {"i686", "armv7l"})


@pytest.mark.parametrize("arch", MANYLINUX_ARCHS)
def test_musllinux_on_every_architecture_packaging_lists(
    arch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = f"[musllinux_1_2_{arch},cp312]"
    assert check_accepts(block)
    platforms = musllinux(monkeypatch, (1, 2), [arch])
    target = from_blocks(block)
    assert list(target.tags) == cpython((3, 12), ["cp312"], platforms)
    assert target.marker_environment["platform_machine"] == arch


@pytest.mark.parametrize("arch", MANYLINUX_ARCHS)
@pytest.mark.parametrize("glibc", [(2, 41), (2, 45), (2, 50)])
def test_manylinux_above_2_40(
    arch: str, glibc: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    block = f"[manylinux_{glibc[0]}_{glibc[1]}_{arch},cp312]"
    assert check_accepts(block)
    platforms = manylinux(monkeypatch, glibc, [arch])
    assert list(from_blocks(block).tags) == cpython((3, 12), ["cp312"], platforms)


# --- item 14: pip's --platform lists may hold platforms that cannot exist ----------------------


def test_an_impossible_command_line_platform_is_skipped_with_one_note() -> None:
    options = TargetOptions.from_strings(
        ["manylinux_2_16_aarch64", "manylinux_2_28_aarch64"], "3.12", None, []
    )
    target = target_from_sources(command_line=options)
    alone = target_from_flags(["manylinux_2_28_aarch64"], "3.12", None, [])
    assert target.platforms == alone.platforms
    assert target.notes == (
        "skipping --platform manylinux_2_16_aarch64: manylinux_2_16 has no architecture "
        "'aarch64'; no wheel can have that tag",
    )


@pytest.mark.parametrize(
    "platform", ["manylinux1_aarch64", "macosx_10_9_arm64", "ios_11_0_arm64_iphoneos"]
)
def test_other_impossible_platforms_are_skipped_too(platform: str) -> None:
    options = TargetOptions.from_strings([platform, "manylinux_2_28_x86_64"], "3.12", None, [])
    target = target_from_sources(command_line=options)
    assert len(target.notes) == 1
    assert target.notes[0].startswith(f"skipping --platform {platform}: ")


def test_only_impossible_platforms_is_an_error() -> None:
    with pytest.raises(TargetError, match="no --platform value names a platform that exists"):
        target_from_flags(["manylinux_2_16_aarch64"], "3.12", None, [])


@pytest.mark.parametrize("platform", ["manylinux3_x86_64", "nonsense", "manylinux2014_amd64"])
def test_a_misspelt_platform_stays_an_error(platform: str) -> None:
    with pytest.raises(TokenError):
        target_from_flags([platform, "manylinux_2_28_x86_64"], "3.12", None, [])


def test_tag_blocks_and_check_stay_strict() -> None:
    assert not check_accepts("[manylinux_2_16,aarch64,cp312]")
    assert not fetch_accepts("[manylinux_2_16,aarch64,cp312]")
    assert check_requirements_text("--platform manylinux_2_16_aarch64\n").errors
    line = "--platform manylinux_2_16_aarch64"
    file_layer = TargetOptions.from_strings(["manylinux_2_16_aarch64"], "3.12")
    located = TargetOptions(
        platforms=tuple(
            type(p)(p.value, Span("r.txt", 1, 11, len(line), line)) for p in file_layer.platforms
        ),
        python_version=file_layer.python_version,
    )
    with pytest.raises(TokenError):
        target_from_sources(file_options=[located], host=host_target)


# --- issue 32.2: whole lists per family, as `tagpip tags BLOCK` and pip's flags show them -------


def _shown(text: str) -> list[str]:
    """The tags ``tagpip tags BLOCK`` prints: the block's target, narrowed to the block."""
    one = spec(text)
    return [str(t) for t in target_for_block(from_blocks(text), one).tags]


def _strs(tags: Sequence[Tag]) -> list[str]:
    return [str(t) for t in tags]


def _expected(case: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """packaging's own list for the interpreter a case names (every argument explicit)."""
    glibc = manylinux(monkeypatch, (2, 28), ["x86_64"])
    if case == "free-threaded 3.13":
        return _strs(cpython((3, 13), ["cp313t"], glibc))
    if case == "free-threaded 3.14":
        return _strs(cpython((3, 14), ["cp314t"], glibc))
    if case == "free-threaded 3.15":
        return _strs(cpython((3, 15), ["cp315t"], glibc))
    if case == "debug 3.8":
        return _strs(cpython((3, 8), ["cp38d"], glibc))
    if case == "pymalloc 3.6":
        return _strs(cpython((3, 6), ["cp36m"], manylinux(monkeypatch, (2, 5), ["x86_64"])))
    if case == "pyemscripten":
        # A Pyodide 314 reports PYEMSCRIPTEN_PLATFORM_VERSION 2026_0 and sysconfig's platform
        # emscripten-5.0.3-wasm32: packaging's _emscripten_platforms lists both.
        return _strs(
            cpython((3, 14), ["cp314"], ["pyemscripten_2026_0_wasm32", "emscripten_5_0_3_wasm32"])
        )
    if case == "emscripten":
        return _strs(cpython((3, 13), ["cp313"], ["emscripten_4_0_9_wasm32"]))
    if case.startswith("ios "):
        return _strs(cpython((3, 13), ["cp313"], list(ios_platforms((13, 0), case[4:]))))
    if case.startswith("android "):
        return _strs(cpython((3, 13), ["cp313"], list(android_platforms(24, case[8:]))))
    if case.startswith("windows "):
        return _strs(cpython((3, 12), ["cp312"], [case[8:]]))
    if case.startswith("manylinux "):
        arch = case.split()[1]
        return _strs(cpython((3, 12), ["cp312"], manylinux(monkeypatch, (2, 28), [arch])))
    if case.startswith("musllinux "):
        arch = case.split()[1]
        return _strs(cpython((3, 12), ["cp312"], musllinux(monkeypatch, (1, 2), [arch])))
    if case == "armv8l":
        platforms = manylinux(monkeypatch, (2, 28), ["armv8l", "armv7l"])
        return _strs(cpython((3, 12), ["cp312"], platforms))
    if case.startswith("macos "):
        _, major, arch = case.split()
        version = (int(major), 0) if int(major) >= 11 else (10, 9)
        return _strs(cpython((3, 12), ["cp312"], list(mac_platforms(version, arch))))
    if case == "plain linux":
        return _strs(cpython((3, 12), ["cp312"], ["linux_x86_64"]))
    if case == "pypy":
        platforms = manylinux(monkeypatch, (2, 28), ["x86_64"])
        return _strs(
            [
                *generic_tags("pp310", ["pypy310_pp73"], platforms),
                *compatible_tags((3, 10), "pp3", platforms),
            ]
        )
    raise AssertionError(case)


FAMILY_CASES = [
    # the block, what packaging generates for that interpreter, the pip flags that say the same
    ("[manylinux_2_28,cp313,cp313t,x86_64]", "free-threaded 3.13", None),
    ("[manylinux_2_28,cp314t,x86_64]", "free-threaded 3.14", None),
    ("[manylinux_2_28,cp315,cp315t,x86_64]", "free-threaded 3.15", None),
    ("[manylinux_2_28,cp38,cp38d,x86_64]", "debug 3.8", None),
    ("[manylinux1,cp36,cp36m,x86_64]", "pymalloc 3.6", None),
    ("[pyemscripten_2026_0_wasm32,cp314]", "pyemscripten", ("pyemscripten_2026_0_wasm32", "3.14")),
    ("[pyemscripten_2026_0,cp314]", "pyemscripten", None),
    ("[emscripten_4_0_9_wasm32,cp313]", "emscripten", ("emscripten_4_0_9_wasm32", "3.13")),
    ("[ios_13_0_arm64_iphoneos,cp313]", "ios arm64_iphoneos", ("ios_13_0_arm64_iphoneos", "3.13")),
    (
        "[ios_13_0_arm64_iphonesimulator,cp313]",
        "ios arm64_iphonesimulator",
        ("ios_13_0_arm64_iphonesimulator", "3.13"),
    ),
    (
        "[ios_13_0_x86_64_iphonesimulator,cp313]",
        "ios x86_64_iphonesimulator",
        ("ios_13_0_x86_64_iphonesimulator", "3.13"),
    ),
    ("[android_24_arm64_v8a,cp313]", "android arm64_v8a", ("android_24_arm64_v8a", "3.13")),
    ("[android_24_x86_64,cp313]", "android x86_64", ("android_24_x86_64", "3.13")),
    ("[android_24_armeabi_v7a,cp313]", "android armeabi_v7a", ("android_24_armeabi_v7a", "3.13")),
    ("[android_24_x86,cp313]", "android x86", ("android_24_x86", "3.13")),
    ("[win_amd64,cp312]", "windows win_amd64", ("win_amd64", "3.12")),
    ("[win_arm64,cp312]", "windows win_arm64", ("win_arm64", "3.12")),
    ("[win32,cp312]", "windows win32", ("win32", "3.12")),
    ("[manylinux_2_28,pp310,pypy310_pp73,x86_64]", "pypy", None),
    *[
        (f"[manylinux_2_28_{arch},cp312]", f"manylinux {arch}", (f"manylinux_2_28_{arch}", "3.12"))
        for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64")
    ],
    *[
        (f"[musllinux_1_2_{arch},cp312]", f"musllinux {arch}", (f"musllinux_1_2_{arch}", "3.12"))
        for arch in ("x86_64", "aarch64", "armv7l")
    ],
    ("[manylinux_2_28_armv8l,cp312]", "armv8l", ("manylinux_2_28_armv8l", "3.12")),
    ("[macosx_11_0_arm64,cp312]", "macos 11 arm64", ("macosx_11_0_arm64", "3.12")),
    ("[macosx_14_0_arm64,cp312]", "macos 14 arm64", ("macosx_14_0_arm64", "3.12")),
    ("[macosx_10_9_x86_64,cp312]", "macos 10 x86_64", ("macosx_10_9_x86_64", "3.12")),
    ("[macosx_10_9_universal2,cp312]", "macos 10 universal2", ("macosx_10_9_universal2", "3.12")),
    ("[linux_x86_64,cp312]", "plain linux", ("linux_x86_64", "3.12")),
]


@pytest.mark.parametrize(("block", "case", "flags"), FAMILY_CASES)
def test_each_family_lists_exactly_what_packaging_lists(
    block: str, case: str, flags: tuple[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole ordered list, compared with packaging's generators: through the block (what
    ``tagpip tags BLOCK`` prints, the block narrowing its own target) and through pip's flags."""
    expected = _expected(case, monkeypatch)
    assert _shown(block) == expected
    if flags is not None:
        platform, version = flags
        assert _strs(target_from_flags([platform], version, None, []).tags) == expected


def test_a_free_threaded_block_keeps_all_of_its_abi3t_tags() -> None:
    """The issue's count: 12 stable-ABI versions (cp313 down to cp32) on 27 platforms."""
    tags = _shown("[manylinux_2_28,cp313,cp313t,x86_64]")
    assert sum(t.split("-")[1] == "abi3t" for t in tags) == 324
    assert not any(t.split("-")[1] == "abi3" for t in tags)


@pytest.mark.parametrize(
    ("block", "system"),
    [
        ("[ios_13_0_arm64_iphoneos,cp313]", "iOS"),
        ("[ios_13_0_x86_64_iphonesimulator,cp313]", "iOS"),
        ("[pyemscripten_2026_0_wasm32,cp314]", "Emscripten"),
        ("[emscripten_4_0_9_wasm32,cp313]", "Emscripten"),
    ],
)
def test_platform_system_of_the_new_families(block: str, system: str) -> None:
    """PEP 730: an iOS interpreter reports platform.system() 'iOS' (the name packaging's
    platform_tags() keys its ios_* tags on); Emscripten reports 'Emscripten' (PEP 776)."""
    env = from_blocks(block).marker_environment
    assert env["platform_system"] == system
    assert "platform_machine" not in env or env["platform_machine"] == "wasm32"
