"""A wheel writes only its own files, and an upgrade removes only what the project's own install
wrote (issue 14, items 2, 11, 12 and the RECORD rule).

The classes: members that create another project's (or tagpip's own) files; RECORDs that claim
files the wheel does not hold, or leave files out (installed with a warning, as pip and uv do);
zip members that cannot be read; malformed ``entry_points.txt``; names a Windows or macOS target
cannot hold apart; and, on upgrade, RECORDs in the folder that claim other files, whether
tagpip or pip wrote them. The real pip is the oracle for what pip installs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.wheels import build_wheel
from tagpip.cli import main
from tagpip.install.installer import FileConflict, InvalidWheel, install
from tagpip.target import target_from_flags

LINUX = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
WINDOWS = target_from_flags(["win_amd64"], "3.11", None, [])
MACOS = target_from_flags(["macosx_11_0_arm64"], "3.11", None, [])
LINUX_FLAGS = ("--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--no-cache-dir")
PIP = (sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index")


def rebuild(
    wheel: Path,
    *,
    add: dict[str, bytes] | None = None,
    record: str | None = None,
    drop_record: bool = False,
    stored: bool = False,
) -> Path:
    """The wheel rewritten in place: members added (left out of RECORD), RECORD replaced or
    dropped, every member stored uncompressed (so tests can patch bytes)."""
    with zipfile.ZipFile(wheel) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(wheel, "w", method) as archive:
        for name, data in [*members, *(add or {}).items()]:
            if name.endswith(".dist-info/RECORD"):
                if drop_record:
                    continue
                if record is not None:
                    data = record.encode()
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return wheel


def record_of(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        return archive.read(name).decode()


def reasons(caught: pytest.ExceptionInfo[InvalidWheel]) -> list[str]:
    return [problem.describe() for problem in caught.value.problems]


def tree(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def sha(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


# --------------------------------------------------------------------------------------------
# Members that reach beyond the wheel


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (
            "evil-1.0.data/purelib/victim-1.0.dist-info/METADATA",
            "would write another project's .dist-info folder victim-1.0.dist-info/ from .data",
        ),
        (
            "evil-1.0.data/platlib/victim-2.0.dist-info/RECORD",
            "would write another project's .dist-info folder victim-2.0.dist-info/ from .data",
        ),
        (
            "evil-1.0.data/data/Victim-1.0.DIST-INFO/INSTALLER",
            "would write another project's .dist-info folder Victim-1.0.DIST-INFO/ from .data",
        ),
        (
            "evil-1.0.data/purelib/evil-1.0.dist-info/METADATA",
            "would write its own .dist-info folder evil-1.0.dist-info/ from .data",
        ),
        (
            ".tagpip-journal",
            "starts with '.tagpip-', which tagpip keeps for its journal, lock and staging",
        ),
        (
            "evil-1.0.data/purelib/.tagpip-lock-deps",
            "would land at .tagpip-lock-deps, which starts with '.tagpip-', which tagpip keeps "
            "for its journal, lock and staging",
        ),
        (
            "evil-1.0.dist-info/tagpip-files.json",
            "is tagpip-files.json, the name of tagpip's own record of an install",
        ),
    ],
)
def test_a_wheel_may_not_write_another_projects_or_tagpips_files(
    tmp_path: Path, member: str, reason: str
) -> None:
    wheel = build_wheel(tmp_path / "w", "evil", "1.0", extra_files={member: "x\n"})
    with pytest.raises(InvalidWheel) as caught:
        install([wheel], tmp_path / "deps", LINUX)
    assert reasons(caught) == [f"evil-1.0-py3-none-any.whl: {member!r} {reason}"]
    assert not (tmp_path / "deps").exists()


def test_a_record_that_claims_files_the_wheel_does_not_hold_is_refused(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", "evil", "1.0")
    rebuild(wheel, record=record_of(wheel) + "handler.py,,\nvictim/__init__.py,sha256=x,1\n")
    with pytest.raises(InvalidWheel) as caught:
        install([wheel], tmp_path / "deps", LINUX)
    assert reasons(caught) == [
        f"evil-1.0-py3-none-any.whl: RECORD: lists {path}, which the wheel does not hold; "
        "a RECORD may only claim the wheel's own files"
        for path in ("handler.py", "victim/__init__.py")
    ]


# --------------------------------------------------------------------------------------------
# RECORDs that leave files out: installed with a warning, as pip and uv install them


def _lenient_records(wheel: Path) -> dict[str, str]:
    rows = record_of(wheel).splitlines()
    own = next(row for row in rows if row.endswith("/RECORD,,"))
    return {
        "empty": "",
        "only itself": own + "\n",
        "no hashes": "".join(row.split(",")[0] + ",,\n" for row in rows),
        "one left out": "".join(row + "\n" for row in rows if "__init__" not in row),
    }


@pytest.mark.parametrize("kind", ["empty", "only itself", "no hashes", "one left out"])
def test_an_incomplete_record_installs_with_a_warning_as_pip_does(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = build_wheel(tmp_path / "w", "loose", "1.0")
    rebuild(wheel, record=_lenient_records(wheel)[kind])
    pip = subprocess.run(
        [*PIP, "--no-compile", "--target", str(tmp_path / "pip"), str(wheel)],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CONFIG_FILE": os.devnull},
    )
    assert pip.returncode == 0, pip.stderr

    result = install([wheel], tmp_path / "deps", LINUX)
    assert [str(p) for p in result.installed] == ["loose-1.0"]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("loose-1.0-py3-none-any.whl: RECORD ")
    assert result.warnings[0].endswith("; installed without checking them")
    # The same files as pip's (tagpip writes its own record, pip REQUESTED and direct_url.json).
    ours = {p for p in tree(tmp_path / "deps") if not p.endswith("tagpip-files.json")}
    theirs = {p for p in tree(tmp_path / "pip") if not p.endswith(("REQUESTED", "direct_url.json"))}
    assert ours == theirs
    # Every file is in the installed RECORD, with its hash: tagpip writes RECORD itself.
    rows = (tmp_path / "deps/loose-1.0.dist-info/RECORD").read_text().splitlines()
    assert sorted(row.split(",")[0] for row in rows) == tree(tmp_path / "deps")

    # Said in one line by the CLI.
    status = main(
        ["install", "--no-index", "--target", str(tmp_path / "cli"), str(wheel), *LINUX_FLAGS]
    )
    err = capsys.readouterr().err
    assert status == 0
    assert err.count("warning: loose-1.0-py3-none-any.whl: RECORD ") == 1


def test_a_missing_record_or_a_wrong_hash_is_still_refused(tmp_path: Path) -> None:
    missing = rebuild(build_wheel(tmp_path / "a", "norecord", "1.0"), drop_record=True)
    wrong = build_wheel(tmp_path / "b", "wronghash", "1.0")
    rebuild(wrong, record=record_of(wrong).replace("sha256=", "sha256=AAAA", 1))
    with pytest.raises(InvalidWheel) as caught:
        install([missing, wrong], tmp_path / "deps", LINUX)
    assert reasons(caught) == [
        "norecord-1.0-py3-none-any.whl: RECORD: norecord-1.0.dist-info/RECORD is missing",
        "wronghash-1.0-py3-none-any.whl: RECORD: hash / size of wronghash/__init__.py "
        "didn't match RECORD",
    ]


# --------------------------------------------------------------------------------------------
# Zip members that cannot be read, and entry_points.txt that cannot be parsed


def _patch(wheel: Path, member: str, local: int, central: int, value: bytes) -> None:
    """Overwrite bytes of ``member``'s local header (at offset ``local``) and its central
    directory entry (at ``central``)."""
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
    start = info.header_offset
    data[start + local : start + local + len(value)] = value
    name = member.encode()
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + length] == name:
            data[entry + central : entry + central + len(value)] = value
            break
        entry = data.find(b"PK\x01\x02", entry + 4)
    wheel.write_bytes(bytes(data))


def test_zip_members_that_cannot_be_read_are_refused_by_name(tmp_path: Path) -> None:
    crc = build_wheel(tmp_path / "a", "badcrc", "1.0", extra_files={"badcrc/x.py": "SECRET=1\n"})
    rebuild(crc, stored=True)
    crc.write_bytes(crc.read_bytes().replace(b"SECRET=1", b"SECRET=2"))

    method = build_wheel(tmp_path / "b", "method", "1.0", extra_files={"method/x.py": "x\n"})
    rebuild(method, stored=True)
    _patch(method, "method/x.py", 8, 10, (99).to_bytes(2, "little"))

    locked = build_wheel(tmp_path / "c", "locked", "1.0", extra_files={"locked/x.py": "x\n"})
    rebuild(locked, stored=True)
    _patch(locked, "locked/x.py", 6, 8, (1).to_bytes(2, "little"))

    garbage = tmp_path / "d" / "garbage-1.0-py3-none-any.whl"
    garbage.parent.mkdir()
    garbage.write_bytes(b"PK\x03\x04 not really a zip")

    for wheel, expected in [
        (crc, "badcrc-1.0-py3-none-any.whl: cannot be read: Bad CRC-32 for file 'badcrc/x.py'"),
        (
            method,
            "method-1.0-py3-none-any.whl: 'method/x.py' uses zip compression method 99, "
            "which Python's zipfile cannot read",
        ),
        (
            locked,
            "locked-1.0-py3-none-any.whl: 'locked/x.py' is encrypted; a wheel's members "
            "cannot need a password",
        ),
        (
            garbage,
            "garbage-1.0-py3-none-any.whl: cannot be read as a zip archive: File is not a zip file",
        ),
    ]:
        with pytest.raises(InvalidWheel) as caught:
            install([wheel], tmp_path / "deps", LINUX, cache=tmp_path / "cache")
        assert reasons(caught) == [expected]
        assert not (tmp_path / "deps").exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"tool = tool:main\n", "File contains no section headers."),
        (b"[console_scripts]\na = b:c\n[console_scripts]\n", "section 'console_scripts' already"),
        (b"[console_scripts]\n  indented\n", "Source contains parsing errors"),
        (b"[console_scripts]\nx = \xff\n", "can't decode byte 0xff"),
    ],
)
def test_a_malformed_entry_points_file_is_refused_cleanly(
    tmp_path: Path, text: bytes, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    member = "ep-1.0.dist-info/entry_points.txt"
    wheel = build_wheel(tmp_path / "w", "ep", "1.0", extra_files={member: text})
    status = main(
        ["install", "--no-index", "--target", str(tmp_path / "deps"), str(wheel), *LINUX_FLAGS]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert f"ep-1.0-py3-none-any.whl: {member!r} cannot be read: " in err
    assert why in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert len(err.splitlines()) == 3  # error line, the wheel's line, the hint
    assert not (tmp_path / "deps").exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"[console_scripts]\ntool = tool\n", "[console_scripts] tool = 'tool'"),
        (b"[console_scripts]\ntool = tool:\n", "[console_scripts] tool = 'tool:'"),
        (b"[console_scripts]\ntool =\n", "[console_scripts] tool = ''"),
        (b"[gui_scripts]\nwin = -m:main\n", "[gui_scripts] win = '-m:main'"),
        (b"[DEFAULT]\nx = not a callable\n[console_scripts]\n", "[console_scripts] x = "),
    ],
    ids=["no-attribute", "empty-attribute", "empty", "bad-module", "from-default"],
)
def test_a_script_entry_point_that_names_no_callable_is_refused_cleanly(
    tmp_path: Path, text: bytes, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """installer asserts the shape of these while staging (an AssertionError, issue 30); pip
    refuses them ("A callable suffix is required"). Checked first, they are a wheel problem."""
    member = "ep-1.0.dist-info/entry_points.txt"
    wheel = build_wheel(tmp_path / "w", "ep", "1.0", extra_files={member: text})
    status = main(
        ["install", "--no-index", "--target", str(tmp_path / "deps"), str(wheel), *LINUX_FLAGS]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert f"ep-1.0-py3-none-any.whl: {member!r} has {why}" in err
    assert "which names no callable ('module:function' is needed to make the script)" in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert not (tmp_path / "deps").exists()


def test_plugin_entry_points_are_not_held_to_the_script_shape(tmp_path: Path) -> None:
    """Only script sections make files; another section is the plug-in host's to read."""
    text = "[my.plugins]\nanything = not a callable at all\n[console_scripts]\nep = ep:main\n"
    wheel = build_wheel(
        tmp_path / "w", "ep", "1.0", extra_files={"ep-1.0.dist-info/entry_points.txt": text}
    )
    install([wheel], tmp_path / "deps", LINUX)
    assert (tmp_path / "deps" / "bin" / "ep").is_file()


# --------------------------------------------------------------------------------------------
# Names the target's file system cannot hold


WINDOWS_NAMES = [
    ("win/CON.py", "has 'CON.py', a device name Windows reserves (CON, PRN, AUX, NUL, COM1, ...)"),
    ("win/aux", "has 'aux', a device name Windows reserves (CON, PRN, AUX, NUL, COM1, ...)"),
    (
        "NUL.tar.gz",
        "has 'NUL.tar.gz', a device name Windows reserves (CON, PRN, AUX, NUL, COM1, ...)",
    ),
    ("win/lpt9/x.py", "has 'lpt9', a device name Windows reserves (CON, PRN, AUX, NUL, COM1, ...)"),
    ("win/a:b.py", "has ':' in 'a:b.py', which Windows does not allow in a file name"),
    ("win/what?.py", "has '?' in 'what?.py', which Windows does not allow in a file name"),
    ("win/dots.", "has 'dots.', which ends in a dot or a space; Windows drops those"),
    ("win/space /x.py", "has 'space ', which ends in a dot or a space; Windows drops those"),
]


@pytest.mark.parametrize(("member", "reason"), WINDOWS_NAMES)
def test_names_windows_cannot_create_are_refused_for_a_windows_target(
    tmp_path: Path, member: str, reason: str
) -> None:
    wheel = build_wheel(tmp_path / "w", "win", "1.0", extra_files={member: "x\n"})
    with pytest.raises(InvalidWheel) as caught:
        install([wheel], tmp_path / "windows", WINDOWS)
    assert reasons(caught) == [
        f"win-1.0-py3-none-any.whl: {member!r} {reason} (the target is Windows)"
    ]
    assert not (tmp_path / "windows").exists()
    # Linux and macOS create such names; so does tagpip for them.
    for target, folder in ((LINUX, "linux"), (MACOS, "macos")):
        install([wheel], tmp_path / folder, target)
        assert (tmp_path / folder / member).is_file()


def test_names_that_differ_only_in_case_are_refused_for_windows_and_macos(tmp_path: Path) -> None:
    one = build_wheel(
        tmp_path / "a", "cased", "1.0", extra_files={"cased/Mod.py": "", "cased/mod.py": ""}
    )
    other = build_wheel(tmp_path / "b", "other", "1.0", extra_files={"Cased/data.txt": ""})
    for target, system in ((WINDOWS, "Windows"), (MACOS, "macOS")):
        cache = tmp_path / "cache"
        with pytest.raises(InvalidWheel) as caught:
            install([one, other], tmp_path / system, target, cache=cache, digests=None)
        tail = f": one name on {system}'s case-insensitive file system"
        assert reasons(caught) == [
            "cased-1.0-py3-none-any.whl: 'cased/mod.py' differs only in case from 'cased/Mod.py'"
            + tail,
            "other-1.0-py3-none-any.whl: 'Cased' differs only in case from 'cased'" + tail,
        ]
    install([one, other], tmp_path / "linux", LINUX)
    assert (tmp_path / "linux/cased/mod.py").is_file()


def test_a_wheel_placed_from_the_cache_is_checked_for_the_target_too(tmp_path: Path) -> None:
    """Linux and macOS targets share cache entries (both get POSIX scripts): a macOS install
    placed from the entry a Linux install made is still checked for macOS's names."""
    mixed = build_wheel(
        tmp_path / "m", "mixed", "1.0", extra_files={"mixed/A.py": "", "mixed/a.py": ""}
    )
    cache, digests = tmp_path / "cache", {mixed: hashlib.sha256(mixed.read_bytes()).hexdigest()}
    install([mixed], tmp_path / "linux", LINUX, cache=cache, digests=digests)
    assert list((cache / "v4").glob("*/*/entry.json"))
    with pytest.raises(InvalidWheel) as caught:
        install([mixed], tmp_path / "macos", MACOS, cache=cache, digests=digests)
    assert reasons(caught) == [
        "mixed-1.0-py3-none-any.whl: 'mixed/a.py' differs only in case from 'mixed/A.py': "
        "one name on macOS's case-insensitive file system"
    ]


# --------------------------------------------------------------------------------------------
# Upgrades remove only what the project's own install wrote


def _own_record(folder: Path, dist_info: str) -> list[str]:
    return list(json.loads((folder / dist_info / "tagpip-files.json").read_text())["files"])


def test_each_install_keeps_its_own_record_of_the_files_it_wrote(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", "kept", "1.0", extra_files={"kept/x.py": ""})
    install([wheel], tmp_path / "deps", LINUX)
    own = _own_record(tmp_path / "deps", "kept-1.0.dist-info")
    assert own == tree(tmp_path / "deps")
    rows = (tmp_path / "deps/kept-1.0.dist-info/RECORD").read_text().splitlines()
    assert sorted(row.split(",")[0] for row in rows) == own


def test_an_edited_record_cannot_make_an_upgrade_remove_other_files(tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    install([build_wheel(tmp_path / "v", "victim", "1.0")], deps, LINUX)
    install([build_wheel(tmp_path / "a", "app", "1.0")], deps, LINUX)
    (deps / "handler.py").write_text("def handler(): ...\n")
    with (deps / "app-1.0.dist-info/RECORD").open("a") as record:
        record.write("handler.py,,\nvictim/__init__.py,,\nvictim-1.0.dist-info/METADATA,,\n")

    result = install([build_wheel(tmp_path / "b", "app", "2.0")], deps, LINUX, upgrade=True)
    assert [str(p) for p in result.removed] == ["app-1.0"]
    assert result.warnings == (
        "replacing app-1.0 left victim/__init__.py, victim-1.0.dist-info/METADATA in place: "
        "another project or tagpip owns them",
        "replacing app-1.0 left handler.py in place: its RECORD lists them, but tagpip's "
        "record of its install does not",
    )
    assert (deps / "handler.py").read_text() == "def handler(): ...\n"
    assert (deps / "victim/__init__.py").is_file()
    assert (deps / "victim-1.0.dist-info/METADATA").is_file()
    assert not (deps / "app-1.0.dist-info").exists()


def _pip_target(wheel: Path, folder: Path, *extra: str) -> None:
    subprocess.run(
        [*PIP, *extra, "--target", str(folder), str(wheel)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CONFIG_FILE": os.devnull},
    )


def test_a_pip_installed_project_is_upgraded_by_its_recorded_hashes(tmp_path: Path) -> None:
    """pip copies a wheel's RECORD rows for files it does not hold into the installed RECORD
    (the real pip does so here), and a later uninstall would remove them."""
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "handler.py").write_text("the user's own code\n")
    evil = build_wheel(tmp_path / "e", "evil", "1.0", extra_files={"evil/edited.py": "A = 1\n"})
    rebuild(evil, record=record_of(evil) + "handler.py,,\n")
    _pip_target(evil, tmp_path / "pipped")
    assert "handler.py,," in (tmp_path / "pipped/evil-1.0.dist-info/RECORD").read_text()
    for path in tree(tmp_path / "pipped"):
        (deps / path).parent.mkdir(parents=True, exist_ok=True)
        (deps / path).write_bytes((tmp_path / "pipped" / path).read_bytes())
    (deps / "evil/edited.py").write_text("A = 2  # patched by hand\n")

    new = build_wheel(tmp_path / "n", "evil", "2.0")
    result = install([new], deps, LINUX, upgrade=True)
    assert result.warnings == (
        "replacing evil-1.0 left evil/edited.py, handler.py in place: its RECORD, which tagpip "
        "did not write, gives them another hash or none",
    )
    assert (deps / "handler.py").read_text() == "the user's own code\n"
    assert (deps / "evil/edited.py").is_file()
    # What pip installed and left unchanged is gone, bytecode included.
    assert not (deps / "evil-1.0.dist-info").exists()
    assert not list(deps.glob("evil/__pycache__/__init__*.pyc"))
    assert (deps / "evil/__init__.py").read_text() == '__version__ = "2.0"\n'


def test_a_file_the_new_version_writes_again_is_replaced_even_if_edited(tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    _pip_target(build_wheel(tmp_path / "o", "same", "1.0"), deps)
    (deps / "same/__init__.py").write_text("edited\n")
    result = install([build_wheel(tmp_path / "n", "same", "2.0")], deps, LINUX, upgrade=True)
    assert result.warnings == ()
    assert (deps / "same/__init__.py").read_text() == '__version__ = "2.0"\n'


# --------------------------------------------------------------------------------------------
# An output folder that is a file


@pytest.mark.parametrize(
    ("command", "where", "expected"),
    [
        ("download", "file", "error: {file} exists and is not a folder\nhint: name a folder\n"),
        ("download", "under", "error: cannot create the folder {file}/sub: Not a directory\n"),
        ("install", "file", "error: {file} exists and is not a folder\n"),
        ("install", "under", "error: {file} is a file, so {file}/sub cannot be created\n"),
    ],
)
def test_an_output_folder_that_is_a_file_is_a_clean_error(
    tmp_path: Path, command: str, where: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build_wheel(tmp_path / "links", "demo", "1.0")
    file = tmp_path / "afile"
    file.write_text("not a folder\n")
    out = str(file) if where == "file" else str(file / "sub")
    flag = "-d" if command == "download" else "--target"
    status = main([command, "--no-index", "-f", str(tmp_path / "links"), flag, out, "demo"])
    assert (status, capsys.readouterr().err) == (1, expected.format(file=file))
    assert file.read_text() == "not a folder\n"


def test_a_name_that_differs_only_in_case_from_one_in_the_folder_is_refused(tmp_path: Path) -> None:
    """Checked against what earlier installs left in the folder as well: on the target's file
    system ``Shared/`` and ``shared/`` would be one folder, and one wheel would overwrite the
    other's files. An upgrade that renames its own folder is not a clash (the old one leaves)."""
    first = build_wheel(tmp_path / "a", "first", "1.0", extra_files={"Shared/a.txt": ""})
    second = build_wheel(tmp_path / "b", "second", "1.0", extra_files={"shared/b.txt": ""})
    renamed = build_wheel(tmp_path / "c", "first", "2.0", extra_files={"shared/a.txt": ""})
    folder = tmp_path / "windows"
    install([first], folder, WINDOWS)
    with pytest.raises(FileConflict) as caught:
        install([second], folder, WINDOWS)
    assert str(caught.value) == (
        f"refusing to overwrite files in {folder}:\n"
        "  shared/b.txt (from second-1.0-py3-none-any.whl): 'Shared' is already in the folder; "
        "on a case-insensitive file system (the target's) the two are one name"
    )
    install([renamed], folder, WINDOWS, upgrade=True)
    assert (folder / "shared/a.txt").is_file()
    assert not (folder / "Shared").exists()
    install([first], tmp_path / "linux", LINUX)
    install([second], tmp_path / "linux", LINUX)
