"""Tag-block tokens: classification per docs/syntax.md's "Tokens", the clashes that are errors,
platform tags."""

from __future__ import annotations

import pytest
from packaging.tags import Tag

from tagpip.errors import Span, TagpipError
from tagpip.tags.tokens import (
    PlatformSpec,
    TagSpec,
    TokenError,
    check_tag_block,
    format_tag_block,
    looks_like_tag_token,
    parse_abi,
    parse_platform,
    parse_tag_block,
    python_version_of,
    tag_block_problems,
)
from tagpip.tags.vocabulary import canonical_arch


def block(text: str) -> TagSpec:
    """Parse ``text`` as the tag block of ``pkg==1.0<text>``."""
    line = f"pkg==1.0{text}"
    return parse_tag_block(text, Span("r.txt", 1, 8, 8 + len(text), line))


def problems(text: str) -> list[tuple[str, str | None, str]]:
    """(message, hint, underlined text) of every problem of a block."""
    line = f"pkg==1.0{text}"
    found = tag_block_problems(text, Span("r.txt", 1, 8, 8 + len(text), line))
    result = []
    for error in found:
        assert error.span is not None
        result.append((error.message, error.hint, line[error.span.start : error.span.end]))
    return result


# --- what each token means --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("[manylinux1]", PlatformSpec("manylinux", (2, 5))),
        ("[manylinux2010]", PlatformSpec("manylinux", (2, 12))),
        ("[manylinux2014]", PlatformSpec("manylinux", (2, 17))),
        ("[manylinux_2_17]", PlatformSpec("manylinux", (2, 17))),
        ("[manylinux_2_28]", PlatformSpec("manylinux", (2, 28))),
        ("[musllinux_1_2]", PlatformSpec("musllinux", (1, 2))),
        ("[macosx_11_0]", PlatformSpec("macosx", (11, 0))),
        ("[macosx_10_9]", PlatformSpec("macosx", (10, 9))),
        ("[win]", PlatformSpec("win")),
        ("[linux]", PlatformSpec("linux")),
        ("[any]", PlatformSpec("any")),
        ("[manylinux2014_x86_64]", PlatformSpec("manylinux", (2, 17), "x86_64")),
        ("[manylinux_2_17_aarch64]", PlatformSpec("manylinux", (2, 17), "aarch64")),
        ("[musllinux_1_1_x86_64]", PlatformSpec("musllinux", (1, 1), "x86_64")),
        ("[macosx_11_0_arm64]", PlatformSpec("macosx", (11, 0), "arm64")),
        ("[win_amd64]", PlatformSpec("win", None, "amd64")),
        ("[win32]", PlatformSpec("win", None, "win32")),
        ("[win_arm64]", PlatformSpec("win", None, "arm64")),
        ("[linux_x86_64]", PlatformSpec("linux", None, "x86_64")),
        ("[MANYLINUX2014_X86_64]", PlatformSpec("manylinux", (2, 17), "x86_64")),
    ],
)
def test_platforms(text: str, platform: PlatformSpec) -> None:
    spec = block(text)
    assert spec.platform == platform
    assert spec.arch == platform.arch
    assert spec.interpreter is None
    assert spec.abis == ()


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        # synonyms map to the family's own spelling
        ("[manylinux2014,amd64]", PlatformSpec("manylinux", (2, 17), "x86_64")),
        ("[manylinux2014,arm64]", PlatformSpec("manylinux", (2, 17), "aarch64")),
        ("[musllinux_1_2,arm64]", PlatformSpec("musllinux", (1, 2), "aarch64")),
        ("[macosx_11_0,aarch64]", PlatformSpec("macosx", (11, 0), "arm64")),
        ("[macosx_11_0,amd64]", PlatformSpec("macosx", (11, 0), "x86_64")),
        ("[win,x86_64]", PlatformSpec("win", None, "amd64")),
        ("[win,aarch64]", PlatformSpec("win", None, "arm64")),
        ("[win,x86]", PlatformSpec("win", None, "win32")),
        ("[linux,arm64]", PlatformSpec("linux", None, "aarch64")),
        # order does not matter
        ("[x86_64,manylinux1]", PlatformSpec("manylinux", (2, 5), "x86_64")),
        ("[universal2,macosx_11_0]", PlatformSpec("macosx", (11, 0), "universal2")),
        ("[manylinux_2_28,riscv64]", PlatformSpec("manylinux", (2, 28), "riscv64")),
        ("[manylinux1,i686]", PlatformSpec("manylinux", (2, 5), "i686")),
        ("[macosx_10_9,x86_64]", PlatformSpec("macosx", (10, 9), "x86_64")),
    ],
)
def test_architectures(text: str, platform: PlatformSpec) -> None:
    assert block(text).platform == platform


def test_architecture_without_platform_is_kept_as_written() -> None:
    spec = block("[amd64,cp39]")
    assert spec.platform is None
    assert spec.arch == "amd64"
    assert spec.interpreter == "cp39"


@pytest.mark.parametrize(
    ("text", "interpreter", "abis"),
    [
        ("[cp36]", "cp36", ()),
        ("[cp313]", "cp313", ()),
        ("[py3]", "py3", ()),
        ("[py38]", "py38", ()),
        ("[pp39]", "pp39", ()),
        ("[cp36,cp36m]", "cp36", ("cp36m",)),
        ("[cp36m]", None, ("cp36m",)),
        ("[cp37,cp37m]", "cp37", ("cp37m",)),
        ("[cp39,cp39]", "cp39", ("cp39",)),
        ("[cp313,cp313t]", "cp313", ("cp313t",)),
        ("[cp39,abi3]", "cp39", ("abi3",)),
        ("[cp39,none]", "cp39", ("none",)),
        ("[pp39,pypy39_pp73]", "pp39", ("pypy39_pp73",)),
        ("[cp39,abi3,none]", "cp39", ("abi3", "none")),
        ("[CP39,ABI3]", "cp39", ("abi3",)),
    ],
)
def test_python_and_abi(text: str, interpreter: str | None, abis: tuple[str, ...]) -> None:
    spec = block(text)
    assert (spec.interpreter, spec.abis) == (interpreter, abis)


def test_whole_block() -> None:
    text = "[manylinux1,cp36,x86_64]"
    spec = block(text)
    assert spec == TagSpec(
        interpreter="cp36",
        platform=PlatformSpec("manylinux", (2, 5), "x86_64"),
        tokens=("manylinux1", "cp36", "x86_64"),
        arch="x86_64",
    )
    assert spec.span == Span("r.txt", 1, 8, 32, "pkg==1.0[manylinux1,cp36,x86_64]")


def test_triple_fills_interpreter_abi_and_platform() -> None:
    spec = block("[cp36-cp36m-manylinux1_x86_64]")
    assert spec.interpreter == "cp36"
    assert spec.abis == ("cp36m",)
    assert spec.platform == PlatformSpec("manylinux", (2, 5), "x86_64")
    assert spec.triples == (Tag("cp36", "cp36m", "manylinux1_x86_64"),)


def test_compressed_triple() -> None:
    spec = block("[py2.py3-none-any]")
    assert spec.interpreter is None  # two python tags: the triple leaves it open
    assert spec.abis == ("none",)
    assert spec.platform == PlatformSpec("any")
    assert spec.triples == (Tag("py2", "none", "any"), Tag("py3", "none", "any"))


def test_triple_agrees_with_other_tokens() -> None:
    spec = block("[cp39-abi3-manylinux2014_x86_64,cp39,manylinux2014]")
    assert spec.interpreter == "cp39"
    assert spec.platform == PlatformSpec("manylinux", (2, 17), "x86_64")


def test_spaces_around_tokens() -> None:
    assert block("[ manylinux1 , cp36 ]").tokens == ("manylinux1", "cp36")


def test_inside_without_brackets() -> None:
    spec = parse_tag_block("cp39,win_amd64", Span("<s>", 1, 0, 14, "cp39,win_amd64"))
    assert spec.interpreter == "cp39"


# --- problems, with their messages and what the caret underlines ------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[manylinux3,cp36,x86_64]",
            [("unknown tag 'manylinux3'", "did you mean 'manylinux2014'?", "manylinux3")],
        ),
        (
            "[manylinux2,cp36]",
            [("unknown tag 'manylinux2'", "did you mean 'manylinux2010'?", "manylinux2")],
        ),
        (
            "[mnylinux2014,cp39]",
            [("unknown tag 'mnylinux2014'", "did you mean 'manylinux2014'?", "mnylinux2014")],
        ),
        ("[cp39,x86-64]", [("unknown tag 'x86-64'", "did you mean 'x86_64'?", "x86-64")]),
        (
            "[manylinux1,aarch64]",
            [
                (
                    "manylinux1 has no architecture 'aarch64'",
                    "it has x86_64, i686; manylinux2014 and later add aarch64, ppc64le, s390x",
                    "aarch64",
                )
            ],
        ),
        (
            "[manylinux2010_aarch64]",
            [
                (
                    "manylinux2010 has no architecture 'aarch64'",
                    "it has x86_64, i686; manylinux2014 and later add aarch64, ppc64le, s390x",
                    "manylinux2010_aarch64",
                )
            ],
        ),
        (
            "[macosx_10_9,arm64]",
            [
                (
                    "'arm64' needs macOS 11 or later, not macosx_10_9",
                    "use macosx_11_0 for arm64, or x86_64 for this version",
                    "arm64",
                )
            ],
        ),
        (
            "[manylinux2014_amd64]",
            [
                (
                    "'manylinux2014_amd64' is not a platform tag",
                    "wheels spell it 'manylinux2014_x86_64'",
                    "manylinux2014_amd64",
                )
            ],
        ),
        (
            "[cp36,cp37]",
            [
                (
                    "two python tags in one block: 'cp36' and 'cp37'",
                    "a block describes one interpreter; use one python tag",
                    "cp37",
                )
            ],
        ),
        (
            "[win,manylinux1]",
            [
                (
                    "two operating systems in one block: 'win' and 'manylinux1'",
                    "a block describes one platform; write one line per target",
                    "manylinux1",
                )
            ],
        ),
        (
            "[manylinux1,manylinux2014]",
            [
                (
                    "two platform levels in one block: 'manylinux1' and 'manylinux2014'",
                    "name one level: a glibc level implies every lower one",
                    "manylinux2014",
                )
            ],
        ),
        (
            "[x86_64,aarch64]",
            [
                (
                    "two architectures in one block: 'x86_64' and 'aarch64'",
                    "a block describes one architecture",
                    "aarch64",
                )
            ],
        ),
        (
            "[cp39,cp37m]",
            [("the ABI 'cp37m' does not fit the python tag 'cp39'", None, "cp37m")],
        ),
        (
            "[cp38m]",
            [
                (
                    "the ABI 'cp38m' does not exist: CPython dropped the 'm' flag in 3.8",
                    None,
                    "cp38m",
                )
            ],
        ),
        (
            "[cp39t]",
            [
                (
                    "the ABI 'cp39t' does not exist: free-threaded builds start at CPython 3.13",
                    None,
                    "cp39t",
                )
            ],
        ),
        (
            "[pp39,abi3]",
            [("the ABI 'abi3' is CPython's stable ABI; 'pp39' cannot use it", None, "abi3")],
        ),
        ("[pp37,cp37m]", [("the ABI 'cp37m' does not fit the python tag 'pp37'", None, "cp37m")]),
        (
            "[any,x86_64]",
            [
                (
                    "'any' is for pure-Python wheels and takes no architecture, not 'x86_64'",
                    None,
                    "x86_64",
                )
            ],
        ),
        ("[cp3]", [("the python tag 'cp3' needs a minor version, e.g. 'cp39'", None, "cp3")]),
        (
            "[manylinux_2_3]",
            [
                (
                    "'manylinux_2_3' is not a glibc level: manylinux levels start at manylinux_2_5",
                    None,
                    "manylinux_2_3",
                )
            ],
        ),
        (
            "[]",
            [
                (
                    "empty tag block",
                    "give at least one token, e.g. [manylinux2014,cp39,x86_64], or remove it",
                    "[]",
                )
            ],
        ),
        (
            "[cp39,,x86_64]",
            [("empty token in tag block", "tokens are separated by single commas", ",")],
        ),
        (
            "[cp39 x86_64]",
            [("'cp39 x86_64' is not one token", "separate tokens with commas", "cp39 x86_64")],
        ),
    ],
)
def test_problems(text: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert problems(text) == expected
    with pytest.raises(TokenError) as info:
        block(text)
    assert info.value.message == expected[0][0]


def test_every_problem_is_reported() -> None:
    assert [p[2] for p in problems("[manylinx1,cp36,cp37,aarch6]")] == [
        "manylinx1",
        "aarch6",
        "cp37",
    ]


def test_check_tag_block_gives_spec_or_problems() -> None:
    text = "[cp39]"
    spec, found = check_tag_block(text, Span("s", 1, 0, 6, text))
    assert spec is not None
    assert found == ()
    spec, found = check_tag_block("[cp99m]", Span("s", 1, 0, 7, "[cp99m]"))
    assert spec is None
    assert len(found) == 1


def test_span_falls_back_to_the_block_when_text_does_not_match_the_line() -> None:
    # The block came out of a ${VAR} expansion: the caret can only cover the variable.
    span = Span("r.txt", 1, 8, 14, "pkg==1.${TAGS}")
    with pytest.raises(TokenError) as info:
        parse_tag_block("[cp39,bogus]", span)
    assert info.value.span == span


def test_token_error_is_a_tagpip_error() -> None:
    assert issubclass(TokenError, TagpipError)


# --- platforms given to --platform ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform", "tag", "legacy"),
    [
        (
            "manylinux_2_28_x86_64",
            PlatformSpec("manylinux", (2, 28), "x86_64"),
            "manylinux_2_28_x86_64",
            "manylinux_2_28_x86_64",
        ),
        (
            "manylinux1_x86_64",
            PlatformSpec("manylinux", (2, 5), "x86_64"),
            "manylinux_2_5_x86_64",
            "manylinux1_x86_64",
        ),
        (
            "manylinux2014_aarch64",
            PlatformSpec("manylinux", (2, 17), "aarch64"),
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64",
        ),
        (
            "macosx_10_9_x86_64",
            PlatformSpec("macosx", (10, 9), "x86_64"),
            "macosx_10_9_x86_64",
            "macosx_10_9_x86_64",
        ),
        (
            "macosx_11_0_arm64",
            PlatformSpec("macosx", (11, 0), "arm64"),
            "macosx_11_0_arm64",
            "macosx_11_0_arm64",
        ),
        ("win_amd64", PlatformSpec("win", None, "amd64"), "win_amd64", "win_amd64"),
        ("win32", PlatformSpec("win", None, "win32"), "win32", "win32"),
        ("win_arm64", PlatformSpec("win", None, "arm64"), "win_arm64", "win_arm64"),
        ("linux_x86_64", PlatformSpec("linux", None, "x86_64"), "linux_x86_64", "linux_x86_64"),
        ("any", PlatformSpec("any"), "any", "any"),
        (
            "musllinux_1_2_aarch64",
            PlatformSpec("musllinux", (1, 2), "aarch64"),
            "musllinux_1_2_aarch64",
            "musllinux_1_2_aarch64",
        ),
    ],
)
def test_parse_platform(text: str, platform: PlatformSpec, tag: str, legacy: str) -> None:
    assert parse_platform(text) == platform
    assert platform.tag() == tag
    assert platform.tag(legacy=True) == legacy


def test_parse_platform_family() -> None:
    assert parse_platform("manylinux2014") == PlatformSpec("manylinux", (2, 17))
    assert PlatformSpec("manylinux", (2, 17)).family() == "manylinux_2_17"
    assert PlatformSpec("manylinux", (2, 17)).family(legacy=True) == "manylinux2014"


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "manylinux3_x86_64",
            "unknown platform 'manylinux3_x86_64'",
            "did you mean 'manylinux2014_x86_64'?",
        ),
        (
            "manylinux1_aarch64",
            "manylinux1 has no architecture 'aarch64'",
            "it has x86_64, i686; manylinux2014 and later add aarch64, ppc64le, s390x",
        ),
        ("linux_amd64", "'linux_amd64' is not a platform tag", "wheels spell it 'linux_x86_64'"),
        (
            "bogus",
            "unknown platform 'bogus'",
            "expected a platform such as manylinux2014_x86_64, manylinux_2_28_aarch64, "
            "musllinux_1_2_x86_64, macosx_11_0_arm64, win_amd64 or any",
        ),
    ],
)
def test_parse_platform_errors(text: str, message: str, hint: str) -> None:
    with pytest.raises(TokenError) as info:
        parse_platform(text)
    assert (info.value.message, info.value.hint) == (message, hint)


def test_tag_of_a_family_without_arch_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no architecture"):
        PlatformSpec("manylinux", (2, 17)).tag()


def test_with_arch() -> None:
    assert PlatformSpec("win").with_arch("x86_64") == PlatformSpec("win", None, "amd64")
    with pytest.raises(TokenError):
        PlatformSpec("manylinux", (2, 5)).with_arch("aarch64")


def test_canonical_arch() -> None:
    assert canonical_arch("manylinux", "AMD64") == "x86_64"
    assert canonical_arch("macosx", "aarch64") == "arm64"
    assert canonical_arch("win", "x86_64") == "amd64"
    assert canonical_arch("linux", "ppc64le") == "ppc64le"


# --- helpers ----------------------------------------------------------------------------------


def test_format_tag_block_round_trips() -> None:
    for text in ("[manylinux1,cp36,x86_64]", "[cp36-cp36m-manylinux1_x86_64]", "[win,amd64,cp39]"):
        spec = block(text)
        assert format_tag_block(spec) == text
        assert block(format_tag_block(spec)) == spec


def test_format_tag_block_of_a_spec_built_in_code() -> None:
    spec = TagSpec(
        interpreter="cp39",
        abis=("abi3",),
        platform=PlatformSpec("manylinux", (2, 17), "aarch64"),
    )
    assert format_tag_block(spec) == "[manylinux_2_17_aarch64,cp39,abi3]"


def test_python_version_of() -> None:
    assert python_version_of("cp36") == (3, 6)
    assert python_version_of("cp313t") == (3, 13)
    assert python_version_of("py3") == (3,)
    assert python_version_of("pypy39_pp73") == (3, 9)
    assert python_version_of("abi3") is None


def test_parse_abi() -> None:
    assert parse_abi("CP36M") == "cp36m"
    assert parse_abi("cp39") == "cp39"
    assert parse_abi("abi3") == "abi3"
    with pytest.raises(TokenError, match="not an ABI tag"):
        parse_abi("manylinux1")
    with pytest.raises(TokenError, match="dropped the 'm' flag"):
        parse_abi("cp39m")


def test_looks_like_tag_token() -> None:
    assert looks_like_tag_token("manylinux2014")
    assert looks_like_tag_token("cp39")
    assert not looks_like_tag_token("socks")
    assert not looks_like_tag_token("security")
