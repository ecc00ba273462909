"""The cache of unpacked wheels (``tagpip.install.unpacked``) as
:func:`tagpip.install.installer.install` and ``tagpip install`` use it, on real files: a second
install of the same wheels links (or copies) the cached tree instead of unpacking, gives the same
folder as an install without the cache, and never trusts an entry that is incomplete, changed or for
another kind of target.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

import tagpip.install.unpacked
from support.server import IndexServer
from support.wheels import build_wheel
from tagpip.cli import main
from tagpip.download.downloader import known_sha256
from tagpip.index.client import DistFile
from tagpip.install.installer import LinkMode, install
from tagpip.target import target_from_flags

LINUX = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
WINDOWS = target_from_flags(["win_amd64"], "3.11", None, [])

Tree = dict[str, tuple[int, bytes]]


def tree(folder: Path) -> Tree:
    """Every file under ``folder`` with its permissions and bytes (folders are implied)."""
    return {
        path.relative_to(folder).as_posix(): (stat.S_IMODE(path.lstat().st_mode), path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def entries(cache: Path) -> list[Path]:
    """The complete-looking entries of a cache folder (those with their manifest)."""
    return sorted(p.parent for p in cache.glob("v*/*/*/entry.json"))


def leftovers(cache: Path) -> list[str]:
    """Temporary folders of fills that did not finish."""
    return sorted(p.name for p in cache.rglob(".tmp-*"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheels(folder: Path) -> list[Path]:
    """A library and a tool with console, GUI and raw scripts, headers and data files."""
    return [
        build_wheel(folder, "lib", "1.0", extra_files={"lib/core.py": "VALUE = 1\n"}),
        build_wheel(
            folder,
            "tool",
            "2.0",
            extra_files={
                "tool-2.0.dist-info/entry_points.txt": (
                    "[console_scripts]\ntool = tool:main\n[gui_scripts]\ntool-gui = tool:main\n"
                ),
                "tool/sub/deep.py": "",
                "tool-2.0.data/scripts/tool-raw": "#!python\nprint('raw')\n",
                "tool-2.0.data/data/share/tool/tool.txt": "data\n",
                "tool-2.0.data/headers/tool.h": "/* header */\n",
            },
        ),
    ]


def digests_of(paths: list[Path]) -> Mapping[Path, str]:
    return {path: sha256(path) for path in paths}


@pytest.fixture
def built(tmp_path: Path) -> list[Path]:
    return wheels(tmp_path / "wheels")


def cached_file(cache: Path, rel: str) -> Path:
    """The one cache entry's copy of ``rel``."""
    (found,) = [
        entry / "files" / rel for entry in entries(cache) if (entry / "files" / rel).exists()
    ]
    return found


# --------------------------------------------------------------------------------------------
# Linking, copying, and the same result as without the cache


def test_a_second_install_links_the_cached_files_and_matches_an_uncached_install(
    tmp_path: Path, built: list[Path]
) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    install(built, tmp_path / "plain", LINUX)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    assert len(entries(cache)) == 2
    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode="hardlink")

    expected = tree(tmp_path / "plain")
    assert "bin/tool" in expected
    assert tree(tmp_path / "cold") == expected
    assert tree(tmp_path / "warm") == expected
    for rel in expected:
        warm = (tmp_path / "warm" / rel).stat()
        assert warm.st_ino == cached_file(cache, rel).stat().st_ino, rel
        assert warm.st_nlink == 3, rel  # the cache, the cold install and this one
    assert leftovers(cache) == []
    assert not list(tmp_path.glob(".tagpip-stage-*"))


def test_copy_mode_makes_no_links(tmp_path: Path, built: list[Path]) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    install(built, tmp_path / "plain", LINUX)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="copy")
    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode="copy")
    expected = tree(tmp_path / "plain")
    for name in ("cold", "warm"):
        assert tree(tmp_path / name) == expected, name
        links = [p for p in (tmp_path / name).rglob("*") if p.is_file() and p.stat().st_nlink > 1]
        assert links == [], name
    assert len(entries(cache)) == 2


def test_hardlink_mode_copies_when_the_cache_is_on_another_file_system(
    tmp_path: Path, built: list[Path]
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system at /dev/shm")
    import tempfile

    digests = digests_of(built)
    with tempfile.TemporaryDirectory(dir=shm) as other:
        cache = Path(other) / "cache"
        install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="hardlink")
        install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode="hardlink")
        assert len(entries(cache)) == 2
        expected = tree(tmp_path / "cold")
        assert tree(tmp_path / "warm") == expected
        for rel in expected:
            assert (tmp_path / "warm" / rel).stat().st_nlink == 1, rel


def test_wheels_without_a_digest_are_unpacked_and_not_cached(
    tmp_path: Path, built: list[Path]
) -> None:
    cache = tmp_path / "cache"
    install(built, tmp_path / "a", LINUX, cache=cache)
    install(built, tmp_path / "b", LINUX, cache=cache, digests={built[0]: "not-a-digest"})
    assert entries(cache) == []


def test_a_digest_that_is_not_the_wheels_files_nothing(tmp_path: Path, built: list[Path]) -> None:
    cache = tmp_path / "cache"
    wrong = {built[0]: sha256(built[1]), built[1]: sha256(built[0])}
    install(built, tmp_path / "a", LINUX, cache=cache, digests=wrong)
    assert entries(cache) == []


def test_an_unknown_link_mode_is_refused(tmp_path: Path, built: list[Path]) -> None:
    with pytest.raises(ValueError, match="link_mode must be one of clone, copy, hardlink"):
        install(built, tmp_path / "a", LINUX, link_mode="symlink")  # type: ignore[arg-type]
    assert not (tmp_path / "a").exists()


# --------------------------------------------------------------------------------------------
# Entries that must not be used


def test_an_entry_without_its_manifest_is_ignored_and_rebuilt(
    tmp_path: Path, built: list[Path]
) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    lib_entry = cached_file(cache, "lib/core.py").parents[2]
    (lib_entry / "entry.json").unlink()
    stale = (lib_entry / "files" / "lib" / "core.py").stat().st_ino

    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    assert tree(tmp_path / "warm") == tree(tmp_path / "cold")
    assert (lib_entry / "entry.json").is_file()
    rebuilt = cached_file(cache, "lib/core.py").stat().st_ino
    assert rebuilt != stale
    assert (tmp_path / "warm" / "lib" / "core.py").stat().st_ino == rebuilt
    assert leftovers(cache) == []


@pytest.mark.parametrize("damage", ["edited", "chmod", "missing", "extra", "symlink", "manifest"])
def test_a_changed_entry_is_ignored_and_rebuilt(
    damage: str, tmp_path: Path, built: list[Path]
) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    install(built, tmp_path / "plain", LINUX)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    target_file = tmp_path / "cold" / "lib" / "core.py"
    entry_files = cached_file(cache, "lib/core.py").parents[1]
    if damage == "edited":
        # Edited in place in the target folder: the same file as the cache's.
        with target_file.open("r+b") as f:
            f.seek(0, os.SEEK_END)
            f.write(b"EDITED = True\n")
    elif damage == "chmod":
        target_file.chmod(0o600)
    elif damage == "missing":
        (entry_files / "lib" / "__init__.py").unlink()
    elif damage == "extra":
        (entry_files / "lib" / "planted.py").write_text("")
    elif damage == "symlink":
        (entry_files / "lib" / "__init__.py").unlink()
        (entry_files / "lib" / "__init__.py").symlink_to("/etc/passwd")
    else:
        (entry_files.parent / "entry.json").write_text("{not json")

    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    assert tree(tmp_path / "warm") == tree(tmp_path / "plain")
    rebuilt = cached_file(cache, "lib/core.py")
    assert rebuilt.read_bytes() == b"VALUE = 1\n"
    assert (tmp_path / "warm" / "lib" / "core.py").stat().st_ino == rebuilt.stat().st_ino
    if damage == "edited":
        # The user's edit stays where they made it; the cache no longer shares that file.
        assert target_file.read_bytes().endswith(b"EDITED = True\n")
        assert target_file.stat().st_ino != rebuilt.stat().st_ino
    assert leftovers(cache) == []


def test_windows_and_linux_targets_do_not_share_entries(tmp_path: Path, built: list[Path]) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    install(built, tmp_path / "linux", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    install(
        built, tmp_path / "windows", WINDOWS, cache=cache, digests=digests, link_mode="hardlink"
    )
    assert len(entries(cache)) == 4
    install(
        built,
        tmp_path / "windows-again",
        WINDOWS,
        cache=cache,
        digests=digests,
        link_mode="hardlink",
    )
    install(built, tmp_path / "windows-plain", WINDOWS)
    assert len(entries(cache)) == 4
    windows = tree(tmp_path / "windows-again")
    assert windows == tree(tmp_path / "windows-plain")
    assert "bin/tool.exe" in windows
    assert "bin/tool" not in windows
    assert tree(tmp_path / "linux")["bin/tool"][1].startswith(b"#!/usr/bin/env python3\n")
    assert windows["bin/tool-raw"][1].startswith(b"#!python.exe\n")
    # Another interpreter line is another entry too.
    install(built, tmp_path / "other", LINUX, cache=cache, digests=digests, interpreter="/opt/py")
    assert len(entries(cache)) == 6
    assert tree(tmp_path / "other")["bin/tool"][1].startswith(b"#!/opt/py\n")


@pytest.mark.parametrize("link_mode", ["clone", "copy", "hardlink"])
def test_an_entry_stores_the_sha256_of_the_bytes_it_holds(
    tmp_path: Path, built: list[Path], link_mode: LinkMode
) -> None:
    """A fill stores the digests computed while the wheel was unpacked (and checked against
    its RECORD) instead of reading its copies back: each must be the sha256 of the file the
    entry holds, in every link mode."""
    cache = tmp_path / "cache"
    install(
        built, tmp_path / "deps", LINUX, cache=cache, digests=digests_of(built), link_mode=link_mode
    )
    checked = 0
    for entry in entries(cache):
        manifest = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        for rel, size, _mode, _mtime, digest in manifest["files"]:
            body = (entry / "files" / rel).read_bytes()
            assert (len(body), hashlib.sha256(body).hexdigest()) == (size, digest), rel
            checked += 1
    assert checked > 10


def test_an_interrupted_fill_leaves_nothing_usable_behind(
    tmp_path: Path, built: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    real_put = tagpip.install.unpacked.UnpackedCache._put
    puts: list[str] = []

    def put(self: Any, source: str, target: str, mode: int, digest: str | None = None) -> str:
        # Files put into the staging folder come from installer; these are the fill's.
        if ".tmp-" in target:
            puts.append(target)
            if len(puts) == 3:
                raise KeyboardInterrupt
        return real_put(self, source, target, mode, digest)

    monkeypatch.setattr(tagpip.install.unpacked.UnpackedCache, "_put", put)
    with pytest.raises(KeyboardInterrupt):
        install(built, tmp_path / "deps", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    assert len(puts) == 3
    assert not (tmp_path / "deps").exists()
    assert not list(tmp_path.glob(".tagpip-stage-*"))
    assert leftovers(cache) == []
    assert entries(cache) == []
    assert not list(cache.glob("v*/*/*/files"))

    monkeypatch.setattr(tagpip.install.unpacked.UnpackedCache, "_put", real_put)
    install(built, tmp_path / "deps", LINUX, cache=cache, digests=digests, link_mode="hardlink")
    assert len(entries(cache)) == 2
    assert tree(tmp_path / "deps")["lib/core.py"][1] == b"VALUE = 1\n"


def test_runs_racing_to_fill_the_same_entries_are_harmless(
    tmp_path: Path, built: list[Path]
) -> None:
    cache = tmp_path / "cache"
    digests = digests_of(built)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def one(number: int) -> None:
        try:
            start.wait()
            install(
                built,
                tmp_path / f"deps{number}",
                LINUX,
                cache=cache,
                digests=digests,
                link_mode="hardlink",
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    install(built, tmp_path / "plain", LINUX)
    expected = tree(tmp_path / "plain")
    for number in range(4):
        assert tree(tmp_path / f"deps{number}") == expected
    assert len(entries(cache)) == 2
    assert leftovers(cache) == []
    cache_used = tagpip.install.unpacked.UnpackedCache(cache)
    for entry in entries(cache):
        assert cache_used.lookup(entry.name) is not None


def test_an_upgrade_never_writes_through_a_link_into_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = build_wheel(tmp_path / "w1", "lib", "1.0", extra_files={"lib/core.py": "V = 1\n"})
    new = build_wheel(tmp_path / "w2", "lib", "2.0", extra_files={"lib/core.py": "V = 2\n"})
    dest = tmp_path / "deps"
    install([old], dest, LINUX, cache=cache, digests=digests_of([old]))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.rglob("*") if p.is_file()}
    install([new], dest, LINUX, cache=cache, digests=digests_of([new]), upgrade=True)
    assert (dest / "lib" / "core.py").read_text() == "V = 2\n"
    for path, (data, mtime) in before.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime), path
    assert len(entries(cache)) == 2
    for entry in entries(cache):
        assert tagpip.install.unpacked.UnpackedCache(cache).lookup(entry.name) is not None


# --------------------------------------------------------------------------------------------
# The command line


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def serve_tool(server: IndexServer) -> None:
    server.add_wheel(
        "tool",
        "2.0",
        extra_files={
            "tool-2.0.dist-info/entry_points.txt": "[console_scripts]\ntool = tool:main\n",
            "tool/extra.py": "X = 1\n",
        },
    )


LINUX_FLAGS = ("--python-version", "3.11", "--platform", "manylinux2014_x86_64", "-q")


def test_the_cli_links_from_its_cache_on_a_second_install(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_tool(index_server)
    cache = tmp_path / "pip-cache"
    common = ["-i", index_server.url, "--cache-dir", str(cache), "tool", *LINUX_FLAGS]
    common += ["--link-mode", "hardlink"]
    assert run(["install", "--target", str(tmp_path / "a"), *common], capsys) == (0, "", "")
    assert run(["install", "--target", str(tmp_path / "b"), *common], capsys) == (0, "", "")
    assert len(entries(cache / "tagpip" / "unpacked")) == 1
    module = (tmp_path / "b" / "tool" / "extra.py").stat()
    assert module.st_nlink == 3
    assert module.st_ino == (tmp_path / "a" / "tool" / "extra.py").stat().st_ino

    args = ["install", "--target", str(tmp_path / "c"), *common, "--link-mode", "copy"]
    assert run(args, capsys) == (0, "", "")
    assert tree(tmp_path / "c") == tree(tmp_path / "b")
    assert (tmp_path / "c" / "tool" / "extra.py").stat().st_nlink == 1


def test_the_cli_with_no_cache_dir_caches_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_tool(index_server)
    cache = tmp_path / "pip-cache"
    for name in ("a", "b"):
        args = [
            "install",
            "--target",
            str(tmp_path / name),
            "-i",
            index_server.url,
            "--cache-dir",
            str(cache),
            "--no-cache-dir",
            "tool",
            *LINUX_FLAGS,
        ]
        index_server.clear_log()
        assert run(args, capsys) == (0, "", "")
        assert wheel_requests(index_server) == ["/files/tool-2.0-py3-none-any.whl"]
    assert not list(cache.rglob("unpacked"))
    assert not list(Path(os.environ["XDG_CACHE_HOME"]).rglob("unpacked"))
    assert (tmp_path / "b" / "tool" / "extra.py").stat().st_nlink == 1


def test_the_cli_refuses_an_unknown_link_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["install", "x", "--target", "d", "--link-mode", "symlink"])
    assert exc.value.code == 2
    assert "invalid choice: 'symlink'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# A warm install does not fetch the wheels its cache entries stand for


def wheel_requests(server: IndexServer) -> list[str]:
    """The wheel files the server was asked for (metadata files aside)."""
    return [p for p in server.paths("GET") if p.startswith("/files/") and p.endswith(".whl")]


def install_args(server: IndexServer, cache: Path, dest: Path, *more: str) -> list[str]:
    dest_args = ["--target", str(dest), "--link-mode", "hardlink"]
    return ["install", *dest_args, "-i", server.url, "--cache-dir", str(cache), *more]


def forget_downloads(cache: Path) -> None:
    """Empty the wheel cache, so a wheel that is fetched at all is fetched from the server."""
    shutil.rmtree(cache / "tagpip" / "wheels", ignore_errors=True)


def test_a_warm_install_fetches_no_wheel_its_cache_entry_stands_for(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_tool(index_server)
    index_server.add_wheel("lib", "1.0", extra_files={"lib/core.py": "VALUE = 1\n"})
    cache = tmp_path / "pip-cache"
    first = install_args(index_server, cache, tmp_path / "a", "tool", "lib", *LINUX_FLAGS[:-1])
    status, out, err = run(first, capsys)
    assert (status, out, err) == (0, "Successfully installed lib-1.0 tool-2.0\n", "")
    assert len(wheel_requests(index_server)) == 2
    forget_downloads(cache)
    index_server.clear_log()

    again = install_args(index_server, cache, tmp_path / "b", "tool", "lib", *LINUX_FLAGS[:-1])
    assert run(again, capsys) == (0, "Successfully installed lib-1.0 tool-2.0\n", "")
    assert wheel_requests(index_server) == []
    assert tree(tmp_path / "b") == tree(tmp_path / "a")
    assert (tmp_path / "b" / "tool" / "extra.py").stat().st_nlink == 3


def test_a_warm_install_from_a_lock_fetches_no_wheel(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_tool(index_server)
    cache, lock = tmp_path / "pip-cache", tmp_path / "lock.txt"
    args = ["lock", "-o", str(lock), "-i", index_server.url, "--no-cache-dir", "tool"]
    assert run([*args, *LINUX_FLAGS], capsys) == (0, "", "")
    for name in ("a", "b"):
        forget_downloads(cache)
        index_server.clear_log()
        args = install_args(index_server, cache, tmp_path / name, "-r", str(lock), "-q")
        assert run(args, capsys) == (0, "", "")
        assert len(wheel_requests(index_server)) == (1 if name == "a" else 0)
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


def test_a_changed_entry_is_not_used_and_the_wheel_is_fetched(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_tool(index_server)
    cache = tmp_path / "pip-cache"
    copy = ("--link-mode", "copy", "tool", *LINUX_FLAGS)
    assert run(install_args(index_server, cache, tmp_path / "a", *copy), capsys) == (0, "", "")
    cached = cached_file(cache / "tagpip" / "unpacked", "tool/extra.py")
    cached.write_text("X = 'changed'\n")
    forget_downloads(cache)
    index_server.clear_log()

    assert run(install_args(index_server, cache, tmp_path / "b", *copy), capsys) == (0, "", "")
    assert wheel_requests(index_server) == ["/files/tool-2.0-py3-none-any.whl"]
    assert tree(tmp_path / "b") == tree(tmp_path / "a")
    assert (tmp_path / "b" / "tool" / "extra.py").read_text() == "X = 1\n"
    # The bad entry was replaced by a good one, which the next run uses without fetching.
    forget_downloads(cache)
    index_server.clear_log()
    assert run(install_args(index_server, cache, tmp_path / "c", *copy), capsys) == (0, "", "")
    assert wheel_requests(index_server) == []
    assert tree(tmp_path / "c") == tree(tmp_path / "a")


def test_an_entry_replaced_while_it_is_placed_makes_the_install_fetch_the_wheel(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve_tool(index_server)
    cache = tmp_path / "pip-cache"
    args = ("tool", *LINUX_FLAGS)
    assert run(install_args(index_server, cache, tmp_path / "a", *args), capsys) == (0, "", "")
    forget_downloads(cache)
    index_server.clear_log()
    place = tagpip.install.unpacked.UnpackedCache.place
    removed: list[str] = []

    def another_run_removes_it_first(self: Any, entry: Any, dest: Path, step: Any) -> None:
        # Another run replacing the entry between this run's lookup and its placing.
        if not removed:
            removed.append(entry.key)
            shutil.rmtree(self.entry(entry.key))
        place(self, entry, dest, step)

    monkeypatch.setattr(
        tagpip.install.unpacked.UnpackedCache, "place", another_run_removes_it_first
    )
    assert run(install_args(index_server, cache, tmp_path / "b", *args), capsys) == (0, "", "")
    assert removed != []
    assert wheel_requests(index_server) == ["/files/tool-2.0-py3-none-any.whl"]
    assert tree(tmp_path / "b") == tree(tmp_path / "a")
    assert not list(tmp_path.glob(".tagpip-stage-*"))


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_a_hash_the_cache_cannot_vouch_for_makes_the_install_fetch_the_wheel(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], algorithm: str
) -> None:
    wheel = index_server.add_wheel("lib", "1.0")
    cache, reqs = tmp_path / "pip-cache", tmp_path / "reqs.txt"
    digest = hashlib.new(algorithm, wheel.read_bytes()).hexdigest()
    reqs.write_text(f"lib==1.0 --hash={algorithm}:{digest}\n")
    for name in ("a", "b"):
        forget_downloads(cache)
        index_server.clear_log()
        args = install_args(index_server, cache, tmp_path / name, "-r", str(reqs), *LINUX_FLAGS)
        assert run(args, capsys) == (0, "", "")
        # A user's sha256 that the index's agrees with vouches for the entry; a sha512 is
        # for the downloader to check, so the wheel is fetched every time.
        fetched = name == "a" or algorithm == "sha512"
        assert wheel_requests(index_server) == (["/files/lib-1.0-py3-none-any.whl"] * fetched)
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


def test_a_wrong_hash_still_fails_with_a_warm_cache(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("lib", "1.0")
    cache, reqs = tmp_path / "pip-cache", tmp_path / "reqs.txt"
    plain = install_args(index_server, cache, tmp_path / "a", "lib", *LINUX_FLAGS)
    assert run(plain, capsys) == (0, "", "")
    reqs.write_text(f"lib==1.0 --hash=sha256:{'0' * 64}\n")
    index_server.clear_log()
    args = install_args(index_server, cache, tmp_path / "b", "-r", str(reqs), *LINUX_FLAGS)
    status, out, err = run(args, capsys)
    assert (status, out) == (1, "")
    assert "error: lib: hash of lib-1.0-py3-none-any.whl does not match --hash: " in err
    assert not (tmp_path / "b").exists()


def test_install_fetches_only_the_absent_wheels_no_entry_stands_for(
    tmp_path: Path, built: list[Path]
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="copy")
    cached_file(cache, "lib/core.py").write_text("VALUE = 2\n")
    later = tmp_path / "later"
    later.mkdir()
    absent = {later / path.name: path for path in built}
    asked: list[list[str]] = []

    def fetch(needed: Sequence[Path]) -> None:
        asked.append([path.name for path in needed])
        for path in needed:
            shutil.copyfile(absent[path], path)

    given = {later / path.name: digest for path, digest in digests.items()}
    result = install(
        list(absent), tmp_path / "warm", LINUX, cache=cache, digests=given, fetch=fetch
    )
    assert asked == [[built[0].name]]
    assert [str(p) for p in result.installed] == ["lib-1.0", "tool-2.0"]
    assert tree(tmp_path / "warm") == tree(tmp_path / "cold")
    assert (tmp_path / "warm" / "lib" / "core.py").read_text() == "VALUE = 1\n"
    assert not (later / built[1].name).exists()


A, B = "a" * 64, "b" * 64


@pytest.mark.parametrize(
    ("index_hashes", "user_hashes", "known"),
    [
        ((("sha256", A),), (), A),
        ((("SHA256", A.upper()),), (), A),
        ((("sha256", A),), (f"sha256:{A}", f"sha256:{B}"), A),
        ((("sha256", A),), (f"sha256:{B}",), None),  # the downloader refuses it: let it say so
        ((("sha256", A),), (f"sha512:{'c' * 128}",), None),  # only the downloader checks sha512
        ((("sha256", A), ("sha384", "d" * 96)), (), None),
        ((("sha256", A), ("md5", "e" * 32)), (), A),  # md5 is never checked
        ((("sha256", A), ("sha256", B)), (), None),
        ((), (f"sha256:{A}",), A),  # a lock's (or --hash's) only sha256
        ((), (f"sha256:{A}", f"sha256:{B}"), None),  # which one is this file's?
        ((), (), None),
        ((("sha256", "not hex"),), (), None),
    ],
)
def test_known_sha256_is_the_only_digest_the_downloader_would_accept(
    index_hashes: tuple[tuple[str, str], ...], user_hashes: tuple[str, ...], known: str | None
) -> None:
    file = DistFile(
        project=canonicalize_name("demo"),
        filename="demo-1.0-py3-none-any.whl",
        url="https://index.invalid/files/demo-1.0-py3-none-any.whl",
        version=Version("1.0"),
        build=(),
        tags=frozenset(parse_tag("py3-none-any")),
        is_wheel=True,
        hashes=index_hashes,
    )
    assert known_sha256(file, user_hashes) == known
    assert known_sha256(replace(file, filename="../demo-1.0-py3-none-any.whl"), user_hashes) is None
    assert known_sha256(replace(file, is_wheel=False), user_hashes) is None


# --------------------------------------------------------------------------------------------
# Output folders and the cache share no file (issue 14, item 3)


def test_by_default_the_folder_shares_no_file_with_the_cache(
    tmp_path: Path, built: list[Path]
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests)
    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests)
    assert tree(tmp_path / "warm") == tree(tmp_path / "cold")
    for folder in ("cold", "warm"):
        for path in (tmp_path / folder).rglob("*"):
            if path.is_file():
                assert path.stat().st_nlink == 1, path
    # An edit in place in one folder changes neither the cache nor another folder.
    with (tmp_path / "warm" / "lib" / "core.py").open("r+b") as f:
        f.write(b"HACKED")
    assert cached_file(cache, "lib/core.py").read_bytes() == b"VALUE = 1\n"
    install(built, tmp_path / "third", LINUX, cache=cache, digests=digests)
    assert (tmp_path / "third" / "lib" / "core.py").read_bytes() == b"VALUE = 1\n"


@pytest.mark.parametrize("mode", ["clone", "copy", "hardlink"])
def test_an_entry_damaged_with_its_size_and_times_kept_is_never_installed(
    mode: Any, tmp_path: Path, built: list[Path]
) -> None:
    cache, digests = tmp_path / "cache", digests_of(built)
    install(built, tmp_path / "cold", LINUX, cache=cache, digests=digests, link_mode="copy")
    damaged = cached_file(cache, "lib/core.py")
    info = damaged.stat()
    with damaged.open("r+b") as f:
        f.write(b"EVIL = 2\n\n")  # as many bytes as before
    os.utime(damaged, ns=(info.st_atime_ns, info.st_mtime_ns))
    install(built, tmp_path / "warm", LINUX, cache=cache, digests=digests, link_mode=mode)
    assert (tmp_path / "warm" / "lib" / "core.py").read_bytes() == b"VALUE = 1\n"
    assert tree(tmp_path / "warm") == tree(tmp_path / "cold")
    # The damaged entry was replaced by the fresh unpack.
    assert cached_file(cache, "lib/core.py").read_bytes() == b"VALUE = 1\n"
    assert leftovers(cache) == []
