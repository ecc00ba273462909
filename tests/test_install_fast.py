"""The warm path of :func:`tagpip.install.installer.install`: a wheel with a complete, unchanged
entry in the cache of unpacked wheels is not opened again (what inspecting it found is stored with
the entry), an entry that is damaged or whose stored inspection does not read back is not used at
all, and what is refused or reported is the same with or without the cache. Also the conflict checks
that run over every file of every install, against whole expected reports.
"""

from __future__ import annotations

import errno
import hashlib
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import tagpip.install.unpacked
import tagpip.install.wheelcheck
from support.wheels import build_wheel
from tagpip.install.installer import (
    FileConflict,
    InvalidWheel,
    NeedsUpgrade,
    install,
    script_interpreter,
    script_kind,
)
from tagpip.install.unpacked import UnpackedCache
from tagpip.target import target_from_flags

LINUX = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])


def digests_of(paths: Sequence[Path]) -> Mapping[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def cached_alone(
    wheels: Sequence[Path], tmp_path: Path, *, cached: bool
) -> tuple[Path | None, Mapping[Path, str]]:
    """The cache folder (None unless ``cached``) with each wheel kept there by an install of
    its own, and the wheels' digests."""
    cache = tmp_path / "cache" if cached else None
    digests = digests_of(wheels)
    if cached:
        for number, wheel in enumerate(wheels):
            install([wheel], tmp_path / f"fill{number}", LINUX, cache=cache, digests=digests)
    return cache, digests


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def manifests(cache: Path) -> list[Path]:
    return sorted(cache.glob("v*/*/*/entry.json"))


def manifest_of(cache: Path, wheel: Path) -> Path:
    """The entry.json of the one entry that holds ``wheel``'s project."""
    name = wheel.name.split("-")[0]
    (found,) = [m for m in manifests(cache) if (m.parent / "files" / name).is_dir()]
    return found


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file name of every zip archive opened from now on, in order."""
    names: list[str] = []

    class Recording(zipfile.ZipFile):
        def __init__(self, file: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(file, (str, Path)):  # not the archives tests write in memory
                names.append(Path(file).name)
            elif str(getattr(file, "name", "")).endswith(".whl"):  # staging's hashing reader
                names.append(Path(file.name).name)
            super().__init__(file, *args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Recording)
    return names


@pytest.fixture
def built(tmp_path: Path) -> list[Path]:
    """A library, and a tool with scripts, data and headers whose project name is spelt
    differently in METADATA than in the file name."""
    folder = tmp_path / "wheels"
    return [
        build_wheel(folder, "lib", "1.0", extra_files={"lib/core.py": "VALUE = 1\n"}),
        build_wheel(
            folder,
            "Some.Tool",
            "2.0",
            tags="py2.py3-none-any",
            build_tag="7",
            extra_files={
                "some_tool-2.0.dist-info/entry_points.txt": "[console_scripts]\ntool = t:main\n",
                "some_tool-2.0.data/data/share/tool.txt": "data\n",
                "some_tool-2.0.data/headers/tool.h": "/* header */\n",
            },
        ),
    ]


# --------------------------------------------------------------------------------------------
# A cached wheel is not opened again


def test_a_cached_wheel_is_not_opened_again(
    tmp_path: Path, built: list[Path], opened: list[str]
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    plain = install(built, tmp_path / "plain", LINUX)
    cold = install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests)
    assert opened != []
    opened.clear()

    warm = install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests)
    assert opened == []
    assert warm == cold == plain
    assert [str(p) for p in warm.installed] == ["lib-1.0", "Some.Tool-2.0"]
    assert tree(tmp_path / "warm") == tree(tmp_path / "plain")


def test_the_stored_inspection_is_what_inspecting_gives(tmp_path: Path, built: list[Path]) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests)
    kind, command = script_kind(LINUX), script_interpreter(LINUX)
    for path in built:
        inspected, problems = tagpip.install.wheelcheck.inspect_wheel(path)
        assert problems == []
        recalled, keyed = tagpip.install.wheelcheck.recall(
            path, UnpackedCache(cache), digests, kind, command
        )
        assert keyed is not None
        assert recalled is not None
        assert recalled.entry is not None
        assert replace(recalled, digest=None, key=None, entry=None) == inspected
    stored = json.loads(manifest_of(cache, built[1]).read_text())["wheel"]
    assert stored == {
        "display_name": "Some.Tool",
        "tags": ["py2-none-any", "py3-none-any"],
        "members": 7,
        "notes": [],
    }


@pytest.mark.parametrize("cached", [False, True])
def test_installing_the_same_wheels_again_changes_nothing(
    tmp_path: Path, built: list[Path], opened: list[str], cached: bool
) -> None:
    # Some.Tool has a build tag, which WHEEL's Build line and the file name spell alike.
    cache = tmp_path / "cache" if cached else None
    digests, dest = digests_of(built), tmp_path / "deps"
    first = install(built, dest, LINUX, cache=cache, digests=digests)
    opened.clear()
    again = install(built, dest, LINUX, cache=cache, digests=digests)
    assert (again.installed, again.unchanged, again.removed) == ((), first.installed, ())
    assert opened == ([] if cached else [w.name for w in built])


@pytest.mark.parametrize(
    ("tags", "build_tag"), [("cp311-cp311-manylinux2014_x86_64", "1"), ("py3-none-any", "2")]
)
def test_stored_tags_and_build_decide_what_needs_an_upgrade(
    tmp_path: Path, tags: str, build_tag: str, opened: list[str]
) -> None:
    first = build_wheel(tmp_path / "w1", "native", "1.0", build_tag="1")
    second = build_wheel(tmp_path / "w2", "native", "1.0", tags=tags, build_tag=build_tag)
    cache, digests, dest = tmp_path / "cache", digests_of([first, second]), tmp_path / "deps"
    install([second], tmp_path / "elsewhere", LINUX, cache=cache, digests=digests)
    install([first], dest, LINUX, cache=cache, digests=digests)
    opened.clear()
    with pytest.raises(NeedsUpgrade) as caught:
        install([second], dest, LINUX, cache=cache, digests=digests)
    assert f"native-1.0 is installed; native-1.0 is wanted for other tags ({second.name})" in str(
        caught.value
    )
    assert opened == []
    result = install([second], dest, LINUX, cache=cache, digests=digests, upgrade=True)
    assert [str(p) for p in result.installed] == [str(p) for p in result.removed] == ["native-1.0"]
    assert opened == []


# --------------------------------------------------------------------------------------------
# An entry that cannot be trusted is not used at all


def damage_entry(damage: str, cache: Path, dest: Path, wheel: Path) -> None:
    manifest = manifest_of(cache, wheel)
    if damage == "edited":
        with (dest / "lib" / "core.py").open("ab") as f:  # the cache's file too: a hard link
            f.write(b"EDITED = True\n")
        return
    if damage == "garbage":
        manifest.write_text("{not json")
        return
    data = json.loads(manifest.read_text())
    if damage == "no inspection":
        del data["wheel"]
    elif damage == "another project":
        data["wheel"]["display_name"] = "other"
    elif damage == "unreadable tags":
        data["wheel"]["tags"] = ["py3-none-any", 3]
    elif damage == "bad tag":
        data["wheel"]["tags"] = ["not a tag"]
    elif damage == "members":
        data["wheel"]["members"] = "3"
    manifest.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "damage",
    [
        "edited",
        "garbage",
        "no inspection",
        "another project",
        "unreadable tags",
        "bad tag",
        "members",
    ],
)
def test_a_damaged_entry_is_not_used_and_the_wheel_is_inspected_and_unpacked(
    damage: str, tmp_path: Path, built: list[Path], opened: list[str]
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "plain", LINUX)
    # Hard links, so that an edit in the folder reaches the cache ("edited").
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    damage_entry(damage, cache, tmp_path / "cold", built[0])
    opened.clear()

    result = install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests)
    assert [str(p) for p in result.installed] == ["lib-1.0", "Some.Tool-2.0"]
    assert tree(tmp_path / "warm") == tree(tmp_path / "plain")
    # Inspected (its zip directory, METADATA and RECORD), then unpacked.
    assert opened == [built[0].name, built[0].name]

    # The entry was replaced by a good one, which the next install uses.
    assert json.loads(manifest_of(cache, built[0]).read_text())["wheel"] == {
        "display_name": "lib",
        "tags": ["py3-none-any"],
        "members": 5,
        "notes": [],
    }
    opened.clear()
    install(built, tmp_path / "again", LINUX, cache=cache, digests=digests)
    assert opened == []
    assert tree(tmp_path / "again") == tree(tmp_path / "plain")
    assert not list(cache.rglob(".tmp-*"))


def test_an_entry_that_goes_away_while_linking_is_inspected_then_unpacked(
    tmp_path: Path, built: list[Path], opened: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "plain", LINUX)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests)
    opened.clear()

    def gone(self: UnpackedCache, entry: Any, dest: Path, step: Callable[[], None]) -> None:
        raise FileNotFoundError(errno.ENOENT, "replaced by another run")

    monkeypatch.setattr(UnpackedCache, "place", gone)
    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests)
    assert tree(tmp_path / "warm") == tree(tmp_path / "plain")
    assert opened == [built[0].name] * 2 + [built[1].name] * 2


def test_a_late_inspection_still_refuses_a_bad_wheel(
    tmp_path: Path, built: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The digest given no longer matches the file (the caller's promise broken): when the entry
    # cannot be linked, the file that is unpacked instead is inspected first like any other.
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests)
    evil = build_wheel(tmp_path / "evil", "lib", "1.0", extra_files={"../evil.py": ""})
    built[0].write_bytes(evil.read_bytes())

    def gone(self: UnpackedCache, entry: Any, dest: Path, step: Callable[[], None]) -> None:
        raise FileNotFoundError(errno.ENOENT, "replaced by another run")

    monkeypatch.setattr(UnpackedCache, "place", gone)
    with pytest.raises(InvalidWheel) as caught:
        install(built, tmp_path / "deps", LINUX, cache=cache, digests=digests)
    assert [p.describe() for p in caught.value.problems] == [
        "lib-1.0-py3-none-any.whl: '../evil.py' climbs out with '..': "
        "it would land outside the target folder"
    ]
    assert not (tmp_path / "deps").exists()
    assert not (tmp_path / "evil.py").exists()
    assert not list(tmp_path.glob(".tagpip-stage-*"))


# --------------------------------------------------------------------------------------------
# Refusals are the same with a warm cache


def corrupt_record(wheel: Path, member: str) -> None:
    """Change a member's bytes without updating RECORD."""
    with zipfile.ZipFile(wheel) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(wheel, "w") as archive:
        for info, data in items:
            archive.writestr(info, data + b"# changed\n" if info.filename == member else data)


def test_problems_are_reported_the_same_with_a_warm_cache(
    tmp_path: Path, built: list[Path], opened: list[str]
) -> None:
    cache = tmp_path / "cache"
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests_of(built))
    renamed = build_wheel(tmp_path / "bad", "named", "1.0", metadata_name="other")
    tampered = build_wheel(tmp_path / "bad", "tampered", "1.0", extra_files={"tampered/x.py": ""})
    corrupt_record(tampered, "tampered/x.py")
    wheels = [built[0], renamed, built[1], tampered]
    expected = [
        "named-1.0-py3-none-any.whl: 'named-1.0.dist-info/METADATA' says Name: other, "
        "the file name says named",
        "tampered-1.0-py3-none-any.whl: RECORD: hash / size of tampered/x.py didn't match RECORD",
    ]
    messages = []
    for use in (None, cache):
        opened.clear()
        with pytest.raises(InvalidWheel) as caught:
            install(wheels, tmp_path / "deps", LINUX, cache=use, digests=digests_of(wheels))
        assert [p.describe() for p in caught.value.problems] == expected
        messages.append(str(caught.value))
        assert not (tmp_path / "deps").exists()
    assert messages[0] == messages[1]
    # The cached wheels' contents were checked when they were kept: not opened for the report.
    assert built[0].name not in opened
    assert built[1].name not in opened
    assert len(manifests(cache)) == 2


# --------------------------------------------------------------------------------------------
# Conflicts between wheels, and with what the folder holds


@pytest.mark.parametrize("cached", [False, True])
@pytest.mark.parametrize("file_first", [False, True])
def test_a_file_where_another_wheel_puts_a_folder_conflicts(
    tmp_path: Path, cached: bool, file_first: bool
) -> None:
    folder = build_wheel(tmp_path / "w", "one", "1.0", extra_files={"shared/deep/x.py": ""})
    file = build_wheel(tmp_path / "w", "two", "1.0", extra_files={"shared/deep": "x\n"})
    wheels = [file, folder] if file_first else [folder, file]
    cache, digests = cached_alone(wheels, tmp_path, cached=cached)
    with pytest.raises(FileConflict) as caught:
        install(wheels, tmp_path / "deps", LINUX, cache=cache, digests=digests)
    in_the_way = "installs a file or folder in the way"
    if file_first:
        expected = ("shared/deep/x.py", folder.name, f"{file.name} {in_the_way}")
    else:
        expected = ("shared/deep", file.name, f"{folder.name} {in_the_way}")
    assert caught.value.conflicts == (expected,)
    assert not (tmp_path / "deps").exists()


@pytest.mark.parametrize("cached", [False, True])
def test_the_same_file_in_two_wheels_conflicts_at_the_first_shared_file(
    tmp_path: Path, cached: bool
) -> None:
    files = {"shared/a.py": "", "shared/b.py": ""}
    one = build_wheel(tmp_path / "w", "one", "1.0", extra_files=files)
    two = build_wheel(tmp_path / "w", "two", "1.0", extra_files={"two/x.py": "", **files})
    three = build_wheel(tmp_path / "w", "three", "1.0", extra_files={"shared/b.py": ""})
    wheels = [one, two, three]
    cache, digests = cached_alone(wheels, tmp_path, cached=cached)
    with pytest.raises(FileConflict) as caught:
        install(wheels, tmp_path / "deps", LINUX, cache=cache, digests=digests)
    assert caught.value.conflicts == (
        ("shared/a.py", two.name, f"{one.name} installs it too"),
        ("shared/b.py", three.name, f"{one.name} installs it too"),
    )


def test_files_and_links_on_the_way_in_the_folder_conflict(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path / "w",
        "pkg",
        "1.0",
        extra_files={"pkg/sub/x.py": "", "pkg/sub/deeper/y.py": "", "pkg/z.py": "", "top/a.py": ""},
    )
    dest, elsewhere = tmp_path / "deps", tmp_path / "elsewhere"
    (dest / "pkg").mkdir(parents=True)
    elsewhere.mkdir()
    (dest / "pkg" / "sub").symlink_to(elsewhere, target_is_directory=True)
    (dest / "top").write_text("a file\n")
    (dest / "pkg" / "z.py").write_text("# mine\n")
    with pytest.raises(FileConflict) as caught:
        install([wheel], dest, LINUX)
    way = "a folder on its way is a file or a symbolic link"
    assert caught.value.conflicts == (  # in the order the wheel's RECORD lists them
        ("pkg/sub/deeper/y.py", wheel.name, way),
        ("pkg/sub/x.py", wheel.name, way),
        ("pkg/z.py", wheel.name, "it belongs to no installed project"),
        ("top/a.py", wheel.name, way),
    )
    assert list(elsewhere.iterdir()) == []


def test_a_file_an_upgrade_removes_may_become_a_folder(tmp_path: Path) -> None:
    old = build_wheel(tmp_path / "w1", "lib", "1.0", extra_files={"lib/data": "old\n"})
    new = build_wheel(tmp_path / "w2", "lib", "2.0", extra_files={"lib/data/x.py": "new\n"})
    dest = tmp_path / "deps"
    install([old], dest, LINUX)
    (dest / "other").write_text("in the way\n")
    result = install([new], dest, LINUX, upgrade=True)
    assert [str(p) for p in result.installed] == ["lib-2.0"]
    assert (dest / "lib" / "data" / "x.py").read_text() == "new\n"
