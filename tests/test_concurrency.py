"""Two tagpip runs at the same time, sharing one cache folder and one destination folder.

Each run is a child process (``python -m tagpip``), both started before either can finish, so
their downloads, cache writes and final renames overlap (the server sends files in slow pieces to
widen the window). Neither may fail or leave a partial, temporary or corrupt file, and the
cache they shared must still serve a third run.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from support.faults import file_path, slow, start_tagpip
from support.server import IndexServer

TARGET = ["--python-version", "3.12", "--platform", "manylinux2014_x86_64"]
PROJECTS = ("alpha", "beta", "gamma", "delta")


def seed(server: IndexServer) -> list[str]:
    """Four projects of about 384 KiB each, incompressible; ``alpha`` needs the others."""
    rng = random.Random(11)
    names = []
    for name in PROJECTS:
        requires = [p for p in PROJECTS if p != "alpha"] if name == "alpha" else []
        blob = rng.randbytes(384 * 1024)
        path = server.add_wheel(
            name, "1.0", requires_dist=requires, extra_files={f"{name}/blob.bin": blob}
        )
        server.mangle[file_path(path.name)] = slow(chunk=64 * 1024, pause=0.02)
        names.append(path.name)
    return sorted(names)


def both(*commands: list[str]) -> list[tuple[int, str, str]]:
    children = [start_tagpip(*command) for command in commands]
    results = []
    try:
        for child in children:
            out, err = child.communicate(timeout=60)
            results.append((child.returncode, out, err))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    return results


def assert_complete(server: IndexServer, dest: Path, names: list[str]) -> None:
    assert sorted(p.name for p in dest.iterdir()) == names  # no .part, nothing else
    for name in names:
        assert (dest / name).read_bytes() == (server.root / name).read_bytes(), name


@pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX way only for now")
def test_two_downloads_sharing_cache_and_destination(
    index_server: IndexServer, tmp_path: Path
) -> None:
    names = seed(index_server)
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    command = ["download", "alpha", "-d", str(dest), "-i", index_server.url, *TARGET]
    command += ["--cache-dir", str(cache), "--progress-bar", "off"]
    first, second = both(command, command)
    assert first[0] == 0, first[2]
    assert second[0] == 0, second[2]
    assert first[2] == second[2] == ""
    assert_complete(index_server, dest, names)
    # Both really fetched: the runs overlapped rather than one reusing the other's files.
    assert sum(path.endswith(".whl") for path in index_server.paths("GET")) >= 4

    # The shared cache still works, and the destination is reused as it is.
    (third,) = both(command)
    assert third[0] == 0, third[2]
    assert "File was already downloaded" in third[1]
    assert_complete(index_server, dest, names)


@pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX way only for now")
def test_a_download_and_a_lock_sharing_the_cache(index_server: IndexServer, tmp_path: Path) -> None:
    names = seed(index_server)
    dest, cache, lock = tmp_path / "wheels", tmp_path / "cache", tmp_path / "pylock.toml"
    common = ["-i", index_server.url, *TARGET, "--cache-dir", str(cache)]
    download, locking = both(
        ["download", "alpha", "-d", str(dest), "--progress-bar", "off", *common],
        ["lock", "alpha", "-o", str(lock), *common],
    )
    assert download[0] == 0, download[2]
    assert locking[0] == 0, locking[2]
    assert_complete(index_server, dest, names)
    text = lock.read_text()
    assert all(f'name = "{name}"' in text for name in PROJECTS)


@pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX way only for now")
def test_two_identical_installs_into_one_folder(index_server: IndexServer, tmp_path: Path) -> None:
    seed(index_server)
    dest = tmp_path / "deps"
    command = ["install", "alpha", "--target", str(dest), "-i", index_server.url, *TARGET]
    command += ["--no-cache-dir", "--progress-bar", "off"]
    first, second = both(command, command)
    assert first[0] == 0, first[2]
    assert second[0] == 0, second[2]
    outputs = sorted([first[1], second[1]])
    # One installed; the other waited for it and found everything there.
    assert outputs[0].startswith(f"Already installed in {dest}: alpha-1.0 ")
    assert outputs[1].startswith("Successfully installed alpha-1.0 ")
    assert sorted(p.name for p in dest.glob("*.dist-info")) == [
        f"{name}-1.0.dist-info" for name in sorted(PROJECTS)
    ]
    assert sorted(p.name for p in tmp_path.rglob(".tagpip-*")) == []


@pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX way only for now")
def test_purge_and_prune_while_an_install_fills_the_cache(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """``tagpip cache purge`` (and ``prune``) over and over while ``install --target`` writes
    pages, metadata, wheels and unpacked wheels into the same cache: every purge and prune
    succeeds (before: "Directory not empty" or FileNotFoundError), and so does the install."""
    from support.faults import wait_until

    names = seed(index_server)
    cache = tmp_path / "cache"
    install = start_tagpip(
        "install", "alpha", "--target", str(tmp_path / "deps"), "-i", index_server.url,
        *TARGET, "--cache-dir", str(cache), "--progress-bar", "off",
    )  # fmt: skip
    try:
        assert wait_until(lambda: (cache / "tagpip").exists() or install.poll() is not None)
        rounds = 0
        while install.poll() is None and rounds < 40:
            for action in ("purge", "prune", "purge"):
                child = start_tagpip("cache", action, "--cache-dir", str(cache))
                _out, err = child.communicate(timeout=60)
                assert child.returncode == 0, err
                assert err == "", err
            rounds += 1
        _out, err = install.communicate(timeout=120)
    finally:
        if install.poll() is None:
            install.kill()
            install.communicate()
    assert rounds >= 1, "the install ended before a purge could overlap it"
    assert install.returncode == 0, err
    assert "internal error" not in err
    for name in PROJECTS:
        assert (tmp_path / "deps" / name / "blob.bin").is_file()
    # Whatever the cache holds now serves the next install, and a last purge leaves nothing.
    again = start_tagpip(
        "install", "alpha", "--target", str(tmp_path / "again"), "-i", index_server.url,
        *TARGET, "--cache-dir", str(cache), "--progress-bar", "off",
    )  # fmt: skip
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    purge = start_tagpip("cache", "purge", "--cache-dir", str(cache))
    purge.communicate(timeout=60)
    assert purge.returncode == 0
    assert sorted(p.name for p in cache.iterdir()) == []
    assert names


def test_purge_tolerates_a_writer_that_keeps_adding_files(tmp_path: Path) -> None:
    """In-process, with a thread that keeps creating folders and files in the cache while it
    is removed: no error, and what the writer made after the purge is a new cache."""
    import threading

    from tagpip.workflow import cachedir

    root = tmp_path / "tagpip"
    for kind in ("pages", "wheels"):
        for n in range(30):
            (root / kind / f"{n:02}").mkdir(parents=True)
            (root / kind / f"{n:02}" / "entry").write_bytes(b"x" * 100)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                folder = root / "pages" / f"w{n % 7}"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"f{n}").write_bytes(b"y")
            except (FileNotFoundError, FileExistsError):
                # The folder went between mkdir and write (or between pathlib's mkdir and its
                # is_dir check): what a writer of the cache sees as a miss.
                continue
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(20):
            cachedir.purge(root)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    cachedir.purge(root)
    assert not root.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing left beside it either
