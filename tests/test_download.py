"""The download stage: verification, atomic writes, reuse, cancellation.

These tests drive ``download()`` through a small in-process Index whose ``open`` serves bytes
from memory, so each failure (a wrong digest, a short body, an interrupt mid-stream) can be
placed exactly; end-to-end downloads over real HTTP are in test_download_cli.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.tags import parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tagpip.download.downloader import (
    DownloadError,
    ProgressEvent,
    download,
    parse_hash,
)
from tagpip.hashes import HashMismatch
from tagpip.index.api import Index, MetadataReady
from tagpip.index.client import DistFile


class MemoryIndex(Index):
    """Serves file bodies from memory; ``interrupt_after`` raises KeyboardInterrupt mid-body."""

    def __init__(self, bodies: dict[str, bytes], *, interrupt: str | None = None) -> None:
        self.bodies = bodies
        self.interrupt = interrupt
        self.opened: list[str] = []
        self._lock = threading.Lock()

    def files(self, project: NormalizedName) -> Sequence[DistFile]:
        return ()

    def metadata(self, file: DistFile) -> Metadata:
        raise AssertionError("not used")

    def prefetch(self, files: Sequence[DistFile], then: MetadataReady | None = None) -> None:
        return None

    @contextmanager
    def open(self, file: DistFile) -> Iterator[Iterator[bytes]]:
        with self._lock:
            self.opened.append(file.filename)
        yield self._chunks(file)

    def _chunks(self, file: DistFile) -> Iterator[bytes]:
        body = self.bodies[file.filename]
        half = len(body) // 2
        yield body[:half]
        if self.interrupt == file.filename:
            raise KeyboardInterrupt
        yield body[half:]


def make_file(
    name: str, body: bytes, *, sha256: str | None = None, size: int | None = None
) -> DistFile:
    project = canonicalize_name(name)
    digest = sha256 if sha256 is not None else hashlib.sha256(body).hexdigest()
    filename = f"{name}-1.0-py3-none-any.whl"
    return DistFile(
        project=project,
        filename=filename,
        url=f"https://example.invalid/{filename}",
        version=Version("1.0"),
        build=(),
        tags=frozenset(parse_tag("py3-none-any")),
        is_wheel=True,
        hashes=(("sha256", digest),),
        size=size if size is not None else len(body),
    )


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_downloads_and_verifies(tmp_path: Path) -> None:
    a, b = make_file("alpha", b"a" * 1000), make_file("beta", b"b" * 10)
    index = MemoryIndex({a.filename: b"a" * 1000, b.filename: b"b" * 10})
    result = download([a, b], tmp_path / "wheels", index)
    assert [r.path.name for r in result] == [a.filename, b.filename]
    assert [r.reused for r in result] == [False, False]
    assert result[0].sha256 == hashlib.sha256(b"a" * 1000).hexdigest()
    assert names(tmp_path / "wheels") == [a.filename, b.filename]
    assert (tmp_path / "wheels" / a.filename).read_bytes() == b"a" * 1000


def test_index_hash_mismatch_leaves_nothing(tmp_path: Path) -> None:
    bad = make_file("alpha", b"real", sha256="0" * 64)
    index = MemoryIndex({bad.filename: b"real"})
    with pytest.raises(HashMismatch) as exc:
        download([bad], tmp_path, index)
    got = hashlib.sha256(b"real").hexdigest()
    assert exc.value.message == (
        f"alpha: hash of {bad.filename} does not match its link: "
        f"expected sha256:{'0' * 64}, got sha256:{got}"
    )
    assert names(tmp_path) == []


def test_user_hash_is_an_allowed_set(tmp_path: Path) -> None:
    body = b"payload"
    file = make_file("alpha", body)
    good = f"sha256:{hashlib.sha256(body).hexdigest()}"
    index = MemoryIndex({file.filename: body})
    download([file], tmp_path, index, user_hashes={file.project: ["sha256:" + "1" * 64, good]})
    assert names(tmp_path) == [file.filename]


def test_user_hash_mismatch(tmp_path: Path) -> None:
    body = b"payload"
    file = make_file("alpha", body)
    index = MemoryIndex({file.filename: body})
    with pytest.raises(HashMismatch, match=r"does not match --hash: expected sha256:1111"):
        download([file], tmp_path, index, user_hashes={file.project: ["sha256:" + "1" * 64]})
    assert names(tmp_path) == []


def test_user_sha512_checked(tmp_path: Path) -> None:
    body = b"payload"
    file = make_file("alpha", body)
    index = MemoryIndex({file.filename: body})
    good = "sha512:" + hashlib.sha512(body).hexdigest()
    download([file], tmp_path / "ok", index, user_hashes={file.project: [good]})
    with pytest.raises(HashMismatch):
        download([file], tmp_path / "bad", index, user_hashes={file.project: ["sha512:00"]})
    assert names(tmp_path / "bad") == []


def test_short_body_is_refused(tmp_path: Path) -> None:
    body = b"x" * 100
    file = make_file("alpha", body, size=200)
    index = MemoryIndex({file.filename: body})
    with pytest.raises(DownloadError, match="is 100 bytes, the index says 200"):
        download([file], tmp_path, index)
    assert names(tmp_path) == []


def test_valid_existing_file_is_kept_and_invalid_replaced(tmp_path: Path) -> None:
    body = b"payload"
    file = make_file("alpha", body)
    index = MemoryIndex({file.filename: body})
    (tmp_path / file.filename).write_bytes(body)
    [result] = download([file], tmp_path, index)
    assert result.reused
    assert index.opened == []
    (tmp_path / file.filename).write_bytes(b"corrupt")
    [result] = download([file], tmp_path, index)
    assert not result.reused
    assert (tmp_path / file.filename).read_bytes() == body


def test_interrupt_mid_download_leaves_no_partial_file(tmp_path: Path) -> None:
    files = [make_file(n, n.encode() * 1000) for n in ("alpha", "beta", "gamma")]
    index = MemoryIndex(
        {f.filename: f.project.encode() * 1000 for f in files}, interrupt=files[1].filename
    )
    with pytest.raises(KeyboardInterrupt):
        download(files, tmp_path, index, workers=1)
    # alpha finished and was verified before the interrupt; nothing partial remains.
    assert names(tmp_path) == [files[0].filename]


def test_unsafe_filename_refused(tmp_path: Path) -> None:
    body = b"x"
    file = make_file("alpha", body)
    evil = DistFile(**{**file.__dict__, "filename": "../evil-1.0-py3-none-any.whl"})
    with pytest.raises(DownloadError, match="refusing to write a file named"):
        download([evil], tmp_path / "d", MemoryIndex({evil.filename: body}))
    assert not (tmp_path / "evil-1.0-py3-none-any.whl").exists()


def test_progress_events(tmp_path: Path) -> None:
    file = make_file("alpha", b"a" * 10)
    events: list[ProgressEvent] = []
    download([file], tmp_path, MemoryIndex({file.filename: b"a" * 10}), on_progress=events.append)
    assert [e.kind for e in events] == ["start", "advance", "advance", "done"]
    assert events[-1].done == 10


def test_parse_hash() -> None:
    assert parse_hash("SHA256:ABC") == ("sha256", "abc")
    assert parse_hash("sha256=abc") == ("sha256", "abc")
