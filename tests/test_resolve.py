"""The resolve stage, driven by data: a small index, the user's lines, and the expected pins or
the whole expected error message (resolvelib's tests/functional style).

Targets are made through the real Target API; while target.py's methods are still stubs these
tests skip (see ``_target_ready``).
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from support.fakes import FakeIndex, Release, rel
from tagpip.errors import TagpipError
from tagpip.index.client import DistFile, IndexError_
from tagpip.requirements.syntax import TaggedRequirement, parse_line
from tagpip.resolution import (
    NoWheelForTarget,
    Policy,
    ResolutionImpossible,
    ResolutionTimedOut,
    UnknownProject,
    UnsupportedRequirement,
    resolve,
)
from tagpip.resolution.candidates import Candidate, CandidateFinder, Requirement
from tagpip.resolution.provider import Provider as _Provider
from tagpip.target import target_for_block, target_from_flags
from tagpip.target.value import Target, TargetError

# --------------------------------------------------------------------------------------------
# Targets


def make_target(python: str = "3.6", platform: str = "manylinux1_x86_64") -> Target:
    """A CPython target on one platform, through the real Target API."""
    major, minor = (int(p) for p in python.split("."))
    abi = f"cp{major}{minor}{'m' if (major, minor) < (3, 8) else ''}"
    return target_from_flags(
        platforms=[platform], python_version=python, implementation="cp", abis=[abi]
    )


def _target_ready() -> bool:
    try:
        Target("cp", (3, 6), ("cp36m",), (), ()).describe()
    except NotImplementedError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _target_ready(),
    reason="target.py (issue B) is not implemented yet: Target's methods raise NotImplementedError",
)

CP36 = "3.6"


def lines(*texts: str, source: str = "requirements.txt") -> list[TaggedRequirement]:
    """User lines, numbered from 1, read by the real line parser (tag blocks included)."""
    return [parse_line(text, source=source, line=n) for n, text in enumerate(texts, start=1)]


# --------------------------------------------------------------------------------------------
# Data-driven cases


@dataclass
class Case:
    index: Mapping[str, Mapping[str, Release]]
    requirements: Sequence[str]
    expected: Mapping[str, str] | str  # pins {name: wheel file name}, or the error message
    python: str = CP36
    platform: str = "manylinux1_x86_64"
    constraints: Sequence[str] = ()
    pre: bool = False
    ignore_requires_python: bool = False
    no_deps: bool = False


JSONSCHEMA = {
    "jsonschema": {
        "3.2.0": rel(
            "py2.py3-none-any",
            deps=[
                "attrs>=17.4.0",
                'importlib-metadata; python_version < "3.8"',
                "pyrsistent>=0.14.0",
                "six>=1.11.0",
                "idna; extra == 'format'",
            ],
            extras=["format"],
        )
    },
    "attrs": {"20.3.0": rel("py2.py3-none-any"), "21.2.0": rel("py2.py3-none-any")},
    "importlib-metadata": {
        "4.8.3": rel("py3-none-any", deps=["zipp>=0.5"], requires_python=">=3.6"),
        "6.0.0": rel("py3-none-any", deps=["zipp>=0.5"], requires_python=">=3.7"),
    },
    "zipp": {"3.6.0": rel("py3-none-any", requires_python=">=3.6")},
    "pyrsistent": {
        "0.18.0": rel("cp36-cp36m-manylinux1_x86_64", "cp312-cp312-manylinux1_x86_64"),
    },
    "six": {"1.16.0": rel("py2.py3-none-any")},
    "idna": {"3.4": rel("py3-none-any")},
}

CASES: dict[str, Case] = {
    "chain": Case(
        {
            "a": {"1.0": rel(deps=["b>=1"])},
            "b": {"1.0": rel(), "2.0": rel(deps=["c"])},
            "c": {"0.1": rel(), "0.2": rel()},
        },
        ["a"],
        {
            "a": "a-1.0-py3-none-any.whl",
            "b": "b-2.0-py3-none-any.whl",
            "c": "c-0.2-py3-none-any.whl",
        },
    ),
    "backtracks to an older parent": Case(
        {
            "a": {"1.0": rel(deps=["c<2"]), "2.0": rel(deps=["c>=2"])},
            "b": {"1.0": rel(deps=["c<2"])},
            "c": {"1.0": rel(), "2.0": rel()},
        },
        ["a", "b"],
        {
            "a": "a-1.0-py3-none-any.whl",
            "b": "b-1.0-py3-none-any.whl",
            "c": "c-1.0-py3-none-any.whl",
        },
    ),
    "names are normalised": Case(
        {"Foo.Bar": {"1.0": rel(deps=["Zope_Interface"])}, "zope-interface": {"5.0": rel()}},
        ["foo_bar"],
        {
            "foo-bar": "foo_bar-1.0-py3-none-any.whl",
            "zope-interface": "zope_interface-5.0-py3-none-any.whl",
        },
    ),
    "extras bring their dependencies": Case(
        JSONSCHEMA,
        ["jsonschema[format]==3.2.0"],
        {
            "attrs": "attrs-21.2.0-py2.py3-none-any.whl",
            "idna": "idna-3.4-py3-none-any.whl",
            "importlib-metadata": "importlib_metadata-4.8.3-py3-none-any.whl",
            "jsonschema": "jsonschema-3.2.0-py2.py3-none-any.whl",
            "pyrsistent": "pyrsistent-0.18.0-cp36-cp36m-manylinux1_x86_64.whl",
            "six": "six-1.16.0-py2.py3-none-any.whl",
            "zipp": "zipp-3.6.0-py3-none-any.whl",
        },
    ),
    "markers for a cp36 target: importlib-metadata comes along": Case(
        JSONSCHEMA,
        ["jsonschema==3.2.0"],
        {
            "attrs": "attrs-21.2.0-py2.py3-none-any.whl",
            "importlib-metadata": "importlib_metadata-4.8.3-py3-none-any.whl",
            "jsonschema": "jsonschema-3.2.0-py2.py3-none-any.whl",
            "pyrsistent": "pyrsistent-0.18.0-cp36-cp36m-manylinux1_x86_64.whl",
            "six": "six-1.16.0-py2.py3-none-any.whl",
            "zipp": "zipp-3.6.0-py3-none-any.whl",
        },
    ),
    "markers for a cp312 target: no importlib-metadata": Case(
        JSONSCHEMA,
        ["jsonschema==3.2.0"],
        {
            "attrs": "attrs-21.2.0-py2.py3-none-any.whl",
            "jsonschema": "jsonschema-3.2.0-py2.py3-none-any.whl",
            "pyrsistent": "pyrsistent-0.18.0-cp312-cp312-manylinux1_x86_64.whl",
            "six": "six-1.16.0-py2.py3-none-any.whl",
        },
        python="3.12",
    ),
    "a user line whose marker is false for the target is skipped": Case(
        {"a": {"1.0": rel()}, "b": {"1.0": rel()}},
        ['a; python_version >= "3.8"', 'b; sys_platform == "linux"'],
        {"b": "b-1.0-py3-none-any.whl"},
    ),
    "constraints restrict": Case(
        {"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel(), "2.0": rel()}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl", "b": "b-1.0-py3-none-any.whl"},
        constraints=["b<2"],
    ),
    "constraints never add": Case(
        {"a": {"1.0": rel()}, "b": {"1.0": rel()}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
        constraints=["b==1.0"],
    ),
    "pre-releases are skipped by default": Case(
        {"a": {"1.0": rel(), "2.0b1": rel()}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
    ),
    "--pre allows pre-releases": Case(
        {"a": {"1.0": rel(), "2.0b1": rel()}},
        ["a"],
        {"a": "a-2.0b1-py3-none-any.whl"},
        pre=True,
    ),
    "a specifier naming a pre-release allows them": Case(
        {"a": {"1.0": rel(), "2.0b1": rel(), "2.0b2": rel()}},
        ["a>=2.0b1"],
        {"a": "a-2.0b2-py3-none-any.whl"},
    ),
    "pre-releases when nothing else matches": Case(
        {"a": {"1.0": rel(), "2.0b1": rel()}},
        ["a>=1.5"],
        {"a": "a-2.0b1-py3-none-any.whl"},
    ),
    "yanked files are skipped": Case(
        {"a": {"1.0": rel(), "2.0": rel(yanked="broken")}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
    ),
    "yanked files are used when pinned with ==": Case(
        {"a": {"1.0": rel(), "2.0": rel(yanked="broken")}},
        ["a==2.0"],
        {"a": "a-2.0-py3-none-any.whl"},
    ),
    "Requires-Python from the index": Case(
        {"a": {"1.0": rel(), "2.0": rel(requires_python=">=3.8")}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
    ),
    "Requires-Python only in the metadata": Case(
        {"a": {"1.0": rel(), "2.0": rel(requires_python=">=3.8", index_requires_python=None)}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
    ),
    "--ignore-requires-python": Case(
        {"a": {"1.0": rel(), "2.0": rel(requires_python=">=3.8")}},
        ["a"],
        {"a": "a-2.0-py3-none-any.whl"},
        ignore_requires_python=True,
    ),
    "manylinux2014 preferred over manylinux1 on a manylinux2014 target": Case(
        {
            "a": {
                "1.0": rel(
                    "cp36-cp36m-manylinux1_x86_64",
                    "cp36-cp36m-manylinux2014_x86_64",
                    "cp36-cp36m-manylinux2014_aarch64",
                )
            }
        },
        ["a"],
        {"a": "a-1.0-cp36-cp36m-manylinux2014_x86_64.whl"},
        platform="manylinux2014_x86_64",
    ),
    "the best wheel by tag rank": Case(
        {
            "a": {
                "1.0": rel(
                    "py3-none-any", "cp36-abi3-manylinux1_x86_64", "cp36-cp36m-manylinux1_x86_64"
                )
            }
        },
        ["a"],
        {"a": "a-1.0-cp36-cp36m-manylinux1_x86_64.whl"},
    ),
    "the build tag breaks a tie": Case(
        {"a": {"1.0": rel("1-py3-none-any", "2-py3-none-any", "py3-none-any")}},
        ["a"],
        {"a": "a-1.0-2-py3-none-any.whl"},
    ),
    "a newer version without a wheel for the target is passed over": Case(
        {"a": {"1.0": rel(), "2.0": rel("cp37-cp37m-manylinux1_x86_64", sdist=True)}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
    ),
    "a tag block narrows the wheels": Case(
        {
            "a": {
                "1.0": rel("cp36-cp36m-manylinux1_x86_64", "cp36-cp36m-manylinux2014_x86_64"),
                "2.0": rel("cp36-cp36m-manylinux2014_x86_64"),
            }
        },
        ["a[][manylinux1,cp36,x86_64]"],
        {"a": "a-1.0-cp36-cp36m-manylinux1_x86_64.whl"},
        platform="manylinux2014_x86_64",
    ),
    "no deps": Case(
        {"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel()}},
        ["a"],
        {"a": "a-1.0-py3-none-any.whl"},
        no_deps=True,
    ),
    # Failures: the whole message.
    "a conflict in plain words": Case(
        {
            "requests": {"2.25.1": rel("py2.py3-none-any", deps=["urllib3<1.27,>=1.21.1"])},
            "urllib3": {"1.26.5": rel("py2.py3-none-any"), "2.0.0": rel("py3-none-any")},
        },
        ["", "", "requests==2.25.1", "", "urllib3>=2"],
        "requests==2.25.1 (requirements.txt:3) requires urllib3<1.27,>=1.21.1, "
        "but urllib3>=2 is required by requirements.txt:5",
    ),
    "two user lines that cannot meet": Case(
        {"a": {"1.0": rel(), "2.0": rel()}},
        ["a>=2", "a<2"],
        "a>=2 is required by requirements.txt:1, but a<2 is required by requirements.txt:2",
    ),
    "a constraint that excludes every version": Case(
        {"a": {"1.0": rel(), "2.0": rel()}},
        ["a>=2"],
        "a>=2 is required by requirements.txt:1, but a<2 is a constraint from constraints.txt:1",
        constraints=["a<2"],
    ),
    "no version matches": Case(
        {"a": {"1.0": rel(), "2.0": rel()}},
        ["a>=3"],
        "a>=3 is required by requirements.txt:1: no version matches (the newest are 2.0, 1.0)",
    ),
    "Requires-Python in the metadata conflicts with an exact pin": Case(
        {"a": {"1.0": rel(), "2.0": rel(requires_python=">=3.8", index_requires_python=None)}},
        ["a==2.0"],
        "a==2.0 (requirements.txt:1) requires Python >=3.8: the target is {target}",
    ),
    "only yanked versions match": Case(
        {"a": {"1.0": rel(), "2.0": rel(yanked="broken"), "2.1": rel(yanked="")}},
        ["a>=2"],
        "a>=2 is required by requirements.txt:1: every matching version is unusable: "
        "2.1 is yanked (pin it with == to use it); "
        "2.0 is yanked: broken (pin it with == to use it)",
    ),
    "no wheel for the target lists the tags the newest versions ship": Case(
        {
            "cryptography": {
                "3.1": rel("cp35-abi3-manylinux2010_x86_64", sdist=True),
                "3.2": rel(
                    "cp35-abi3-macosx_10_10_x86_64", "cp35-abi3-manylinux2014_aarch64", sdist=True
                ),
                "3.2.1": rel(sdist=True),
                "3.3": rel("cp36-abi3-manylinux2014_x86_64"),
            }
        },
        ["cryptography>=3.1,<3.3"],
        "no wheel of cryptography matching <3.3,>=3.1 for {target}"
        " (required by requirements.txt:1)\n"
        "  cryptography 3.2.1 ships no wheels (sources only)\n"
        "  cryptography 3.2 ships cp35 for manylinux2014, macOS\n"
        "  cryptography 3.1 ships cp35 for manylinux2010",
    ),
    "only sdists": Case(
        {"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel(sdist=True)}},
        ["a"],
        "no wheel of b for {target} (required by a==1.0)\n"
        "  b publishes only sdists, and this run does not build them",
    ),
    "an unknown project": Case(
        {"a": {"1.0": rel(deps=["nope>=1"])}},
        ["a"],
        "no project named 'nope' on the index (required by a==1.0)",
    ),
    "an unknown project on a user's line": Case(
        {},
        ["nope"],
        "no project named 'nope' on the index (required by requirements.txt:1)",
    ),
}


def run(case: Case, shuffle: random.Random | None = None) -> dict[str, str]:
    index = FakeIndex(case.index)
    if shuffle is not None:
        for project in list(index.projects):
            items = list(index.projects[project].items())
            shuffle.shuffle(items)
            index.projects[project] = dict(items)
    resolution = resolve(
        _with_blanks(case.requirements),
        make_target(case.python, case.platform),
        index,
        constraints=lines(*case.constraints, source="constraints.txt"),
        policy=Policy(pre=case.pre, ignore_requires_python=case.ignore_requires_python),
        no_deps=case.no_deps,
    )
    return {pin.name: pin.file.filename for pin in resolution.pins}


def _with_blanks(texts: Sequence[str]) -> list[TaggedRequirement]:
    """Lines where "" stands for a line holding no requirement (so line numbers still count)."""
    every = lines(*[t or "placeholder" for t in texts])
    return [line for line, text in zip(every, texts) if text]


@pytest.mark.parametrize("name", list(CASES))
def test_case(name: str) -> None:
    case = CASES[name]
    if isinstance(case.expected, str):
        with pytest.raises(TagpipError) as raised:
            run(case)
        expected = case.expected.format(target=make_target(case.python, case.platform).describe())
        assert str(raised.value) == expected
    else:
        assert run(case) == dict(case.expected)


def test_the_preference_shortcuts_agree_with_walking_the_information(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_preference answers "from the user" and "pinned" without walking a project's
    information where it can; on every call of every case (backtracking, URLs, exact pins in
    lines and in metadata, extras) the answer is the one the full walk gives."""
    shortcut = _Provider._preference
    calls = 0

    def checked(self: _Provider, identifier: str, information: Mapping[str, object]) -> object:
        nonlocal calls
        infos = list(information[identifier])  # type: ignore[call-overload]
        pinned = any(i.requirement.is_exact or i.requirement.url_file is not None for i in infos)
        from_user = any(i.parent is None for i in infos)
        walked = (identifier not in self._promoted, not pinned, not from_user, identifier)
        got = shortcut(self, identifier, {identifier: iter(infos)})
        assert got == walked, identifier
        calls += 1
        return got

    monkeypatch.setattr(_Provider, "_preference", checked)
    for case in CASES.values():
        with contextlib.suppress(TagpipError):
            run(case)
    assert calls > 20


@pytest.mark.parametrize("seed", range(5))
def test_order_of_the_index_does_not_matter(seed: int) -> None:
    for name in ("chain", "extras bring their dependencies", "the build tag breaks a tie"):
        case = CASES[name]
        assert run(case, random.Random(seed)) == dict(case.expected)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The Resolution value


def test_pins_carry_lines_parents_extras_targets_and_the_graph() -> None:
    index = FakeIndex(
        {
            "a": {"1.0": rel("cp36-cp36m-manylinux1_x86_64", deps=["b", "c; extra == 'x'"])},
            "b": {"1.0": rel(deps=["c"])},
            "c": {"1.0": rel()},
        }
    )
    target = make_target(CP36, "manylinux2014_x86_64")
    user = lines("a[x]==1.0[manylinux1,cp36]", "c")
    resolution = resolve(user, target, index)
    assert [(p.name, str(p.version)) for p in resolution.pins] == [
        ("a", "1.0"),
        ("b", "1.0"),
        ("c", "1.0"),
    ]
    a, b, c = resolution.pins
    assert a.extras == frozenset({"x"})
    assert a.lines == (user[0],)
    assert a.required_by == ()
    assert user[0].tags is not None
    assert a.target == target_for_block(target, user[0].tags)
    assert a.target != target
    assert b.lines == ()
    assert b.required_by == ("a",)
    assert b.target == target
    assert c.required_by == ("a", "b")
    assert c.via == ("requirements.txt:2", "a", "b")
    assert dict(resolution.graph) == {"a": ("b", "c"), "b": ("c",), "c": ()}
    assert resolution.roots == ("a", "c")
    assert resolution["A"] is a


def test_resolving_twice_gives_equal_results() -> None:
    case = CASES["extras bring their dependencies"]
    first = resolve(lines("jsonschema[format]==3.2.0"), make_target(), FakeIndex(case.index))
    second = resolve(lines("jsonschema[format]==3.2.0"), make_target(), FakeIndex(case.index))
    assert first == second


# --------------------------------------------------------------------------------------------
# Tag blocks, URLs and other errors


def test_a_block_the_target_cannot_run_names_the_line() -> None:
    index = FakeIndex({"a": {"1.0": rel()}})
    user = lines("a[][manylinux2014,cp36]")
    with pytest.raises(TargetError) as raised:
        resolve(user, make_target(CP36, "manylinux1_x86_64"), index)
    assert raised.value.span is not None
    assert raised.value.span.line == 1


def test_a_direct_url_to_a_wheel() -> None:
    index = FakeIndex({"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel()}})
    url = "https://example.invalid/a-1.0-py3-none-any.whl#sha256=" + "ab" * 32
    resolution = resolve(lines(f"a @ {url}"), make_target(), index)
    a = resolution["a"]
    assert a.file.url == "https://example.invalid/a-1.0-py3-none-any.whl"
    assert a.file.hashes == (("sha256", "ab" * 32),)
    assert [p.name for p in resolution.pins] == ["a", "b"]


def test_a_direct_url_to_an_sdist_needs_a_builder() -> None:
    # It is a source (tests/test_sources.py builds one); with building forbidden, refused by name.
    with pytest.raises(UnsupportedRequirement) as raised:
        resolve(lines("a @ https://example.invalid/a-1.0.tar.gz"), make_target(), FakeIndex({}))
    assert str(raised.value) == (
        "a @ https://example.invalid/a-1.0.tar.gz needs building from source, and --no-build or "
        "--only-binary forbids it; tagpip refused it"
    )


def test_a_direct_url_to_a_wheel_the_target_cannot_run() -> None:
    url = "https://example.invalid/a-1.0-cp39-cp39-win_amd64.whl"
    target = make_target()
    with pytest.raises(NoWheelForTarget) as raised:
        resolve(lines(f"a @ {url}"), target, FakeIndex({}))
    assert str(raised.value) == (
        f"the wheel a-1.0-cp39-cp39-win_amd64.whl is for cp39-cp39-win_amd64, which "
        f"{target.describe()} cannot run"
    )
    assert raised.value.span is not None
    assert raised.value.span.line == 1
    assert raised.value.hint == (
        "name a wheel built for this target, or describe a target the wheel runs on "
        "(--platform, --python-version, --abi)"
    )


def test_constraints_take_no_extras() -> None:
    with pytest.raises(UnsupportedRequirement):
        resolve(
            lines("a"), make_target(), FakeIndex({"a": {"1.0": rel()}}), constraints=lines("a[x]")
        )


def test_errors_carry_data() -> None:
    index = FakeIndex({"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel(sdist=True)}})
    with pytest.raises(NoWheelForTarget) as no_wheel:
        resolve(lines("a"), make_target(), index)
    assert no_wheel.value.project == "b"
    assert no_wheel.value.required_by == ("a==1.0",)
    assert no_wheel.value.only_sdists
    with pytest.raises(UnknownProject) as unknown:
        resolve(lines("zzz"), make_target(), FakeIndex({}))
    assert unknown.value.project == "zzz"
    with pytest.raises(ResolutionImpossible) as impossible:
        resolve(lines("a>=2", "a<2"), make_target(), FakeIndex({"a": {"1.0": rel(), "2.0": rel()}}))
    [conflict] = impossible.value.conflicts
    assert conflict.project == "a"
    assert [d.requirement for d in conflict.demands] == ["a>=2", "a<2"]


def test_a_marker_needing_a_value_the_target_lacks_is_an_error() -> None:
    with pytest.raises(TargetError):
        resolve(
            lines('a; platform_release >= "5"'), make_target(), FakeIndex({"a": {"1.0": rel()}})
        )


def test_index_errors_propagate() -> None:
    class Broken(FakeIndex):
        def metadata(self, file: DistFile) -> Metadata:
            raise IndexError_(f"{file.project}: METADATA does not match the file name")

    with pytest.raises(IndexError_, match="METADATA does not match"):
        resolve(lines("a"), make_target(), Broken({"a": {"1.0": rel()}}))


def test_files_uploaded_after_the_cut_off_are_ignored() -> None:
    old = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    new = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    index = FakeIndex({"a": {"1.0": rel(uploaded=old), "2.0": rel(uploaded=new)}})
    resolution = resolve(
        lines("a"), make_target(), index, policy=Policy(exclude_newer=datetime.datetime(2022, 1, 1))
    )
    assert str(resolution["a"].version) == "1.0"


def test_uploaded_prior_to_is_pips_rule() -> None:
    """pip's --uploaded-prior-to keeps files uploaded strictly before the cut-off and leaves out
    files whose upload time the index does not give (uv's --exclude-newer keeps those)."""
    cut = datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc)
    before = cut - datetime.timedelta(seconds=1)
    index = FakeIndex({"a": {"1.0": rel(uploaded=before), "2.0": rel(uploaded=cut), "3.0": rel()}})
    resolution = resolve(lines("a"), make_target(), index, policy=Policy(uploaded_prior_to=cut))
    assert str(resolution["a"].version) == "1.0"
    resolution = resolve(lines("a"), make_target(), index, policy=Policy(exclude_newer=cut))
    assert str(resolution["a"].version) == "3.0"


# --------------------------------------------------------------------------------------------
# The provider's promises


def test_metadata_is_prefetched_and_read_once() -> None:
    case = CASES["chain"]
    index = FakeIndex(case.index)
    resolve(lines("a"), make_target(), index)
    assert index.metadata_calls == [
        "a-1.0-py3-none-any.whl",
        "b-2.0-py3-none-any.whl",
        "c-0.2-py3-none-any.whl",
    ]
    assert "b-2.0-py3-none-any.whl" in index.prefetched
    assert "c-0.2-py3-none-any.whl" in index.prefetched


def test_progress_reports_pins() -> None:
    seen: list[str] = []
    resolve(lines("a"), make_target(), FakeIndex(CASES["chain"].index), on_progress=seen.append)
    assert seen == ["resolving: a 1.0", "resolving: b 2.0", "resolving: c 0.2"]


def test_candidates_are_cached_and_is_satisfied_by_agrees_with_find_matches() -> None:
    index = FakeIndex(
        {
            "a": {
                v: rel("py3-none-any", "cp36-cp36m-manylinux1_x86_64")
                for v in ("1.0", "1.1b1", "2.0")
            }
        }
    )
    target = make_target()
    finder = CandidateFinder(index, target)
    provider = _Provider(finder, no_deps=False)
    requirements = [
        Requirement("a"),
        Requirement("a", SpecifierSet(">=1.1b1")),
        Requirement("a", SpecifierSet("<2")),
        Requirement("a", SpecifierSet("==1.0")),
    ]

    def find_matches(requirement: Requirement) -> list[Candidate]:
        # The provider answers with a factory (resolvelib's lazy form); take all of it.
        return list(provider.find_matches("a", {"a": iter([requirement])}, {"a": iter([])})())

    for requirement in requirements:
        found = find_matches(requirement)
        again = find_matches(requirement)
        assert all(x is y for x, y in zip(found, again))
        assert [c.version for c in found] == sorted((c.version for c in found), reverse=True)
        assert all(provider.is_satisfied_by(requirement, c) for c in found)
        assert all(c.file is not None and "cp36m" in c.file.filename for c in found)
    every = Requirement("a", SpecifierSet(">=0.dev0"))  # names a pre-release: allows them all
    everything = find_matches(every)
    assert [str(c.version) for c in everything] == ["2.0", "1.1b1", "1.0"]
    for requirement in requirements:
        matched = find_matches(requirement)
        satisfied = [c for c in everything if provider.is_satisfied_by(requirement, c)]
        # find_matches may drop pre-releases the requirement does not ask for; never more.
        assert set(map(id, matched)) <= set(map(id, satisfied))
    assert provider.identify(requirements[0]) == provider.identify(everything[0]) == "a"
    extra = Candidate("a", Version("1.0"), everything[0].file, frozenset({"x", "b"}))
    assert provider.identify(extra) == "a[b,x]"


def test_an_undefined_marker_value_in_a_dependency_names_the_dependency() -> None:
    index = FakeIndex({"a": {"1.0": rel(deps=['b; platform_release >= "5"'])}, "b": {"1.0": rel()}})
    with pytest.raises(TargetError) as raised:
        resolve(lines("a"), make_target(), index)
    assert str(raised.value) == (
        "a==1.0 depends on 'b; platform_release >= \"5\"': the marker 'platform_release >= \"5\"'"
        " needs 'platform_release', which the target does not define"
    )


def test_extras_of_a_yanked_pinned_version_keep_its_wheel() -> None:
    index = FakeIndex(
        {
            "a": {
                "1.0": rel(),
                "2.0": rel(
                    "py3-none-any",
                    "cp36-cp36m-manylinux1_x86_64",
                    deps=["b; extra == 'x'"],
                    yanked="",
                ),
            },
            "b": {"1.0": rel()},
        }
    )
    resolution = resolve(lines("a[x]==2.0"), make_target(), index)
    assert [(p.name, p.file.filename, p.extras) for p in resolution.pins] == [
        ("a", "a-2.0-cp36-cp36m-manylinux1_x86_64.whl", frozenset({"x"})),
        ("b", "b-1.0-py3-none-any.whl", frozenset()),
    ]


def test_the_messages_in_the_docs_are_the_ones_tested() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "resolve.md").read_text(encoding="utf-8")
    examples: list[str] = []
    for text in docs.split("## Errors", 1)[1].splitlines():
        if text.startswith("      ") and examples:
            examples[-1] += "\n" + text[4:]
        elif text.startswith("    "):
            examples.append(text[4:])
    tested = {
        case.expected.format(target=make_target(case.python, case.platform).describe())
        for case in CASES.values()
        if isinstance(case.expected, str)
    }
    assert len(examples) == 7
    assert [e for e in examples if e not in tested] == []


def test_a_resolution_past_its_timeout_carries_where_it_backtracked() -> None:
    # Every a needs c<1 and every b c>=1: b is rejected under each a until the clock runs out.
    projects: dict[str, dict[str, Release]] = {"c": {"0.5": rel(), "1.5": rel()}}
    projects["a"] = {f"{n}.0": rel(deps=["c<1"]) for n in range(1, 400)}
    projects["b"] = {f"{n}.0": rel(deps=["c>=1"]) for n in range(1, 400)}
    # On a loaded machine the clock may run out before the first rejection: give it longer then
    # (the answer is about what the error carries, not about speed).
    for timeout in (0.3, 1.0, 3.0):
        with pytest.raises(ResolutionTimedOut) as raised:
            resolve(lines("a", "b"), make_target(), FakeIndex(projects), timeout=timeout)
        error = raised.value
        assert error.seconds == timeout
        if error.backtracked:
            break
    assert error.backtracked[0][0] == "b"
    assert [name for name, _ in error.backtracked] in (["b"], ["b", "a"])
    assert error.hint == (
        "pin b with a constraint (-c FILE with a line 'b==VERSION'), "
        "or raise --resolve-timeout (0 for no limit)"
    )


def test_no_timeout_means_none() -> None:
    index = FakeIndex({"a": {"1.0": rel(deps=["b"])}, "b": {"1.0": rel()}})
    for timeout in (None, 0):
        resolution = resolve(lines("a"), make_target(), index, timeout=timeout)
        assert [pin.name for pin in resolution.pins] == ["a", "b"]
