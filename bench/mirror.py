"""A local simple-repository mirror on 127.0.0.1 for the benchmarks, so network noise drops out.

Layout of a mirror folder (``root``)::

    pages/<project>.json      the project's PEP 691 JSON page, as the upstream index served it
    files/<filename>          a distribution file
    metadata/<filename>.metadata   a wheel's core metadata (PEP 658)

:class:`Mirror` serves ``root`` at ``http://127.0.0.1:PORT/simple/`` with PEP 691 JSON (or PEP
503 HTML when the client does not ask for JSON), PEP 658 metadata files (``core-metadata`` on
every wheel), ETags and PyPI's ``Cache-Control: max-age=600``, and file downloads with HTTP
Range support. With ``upstream`` set it is a pull-through cache: a page, file or metadata file
missing from ``root`` is fetched once from the upstream index (metadata with range requests out
of the wheel, so only the files a resolution downloads are fetched whole) and kept. So running
each tool once against the mirror fills it with exactly what those runs need; later runs are
served from disk. ``upstream_fetches`` counts what was fetched, so a timed run can be shown to
have used no network.

:func:`make_synthetic` writes a mirror folder of generated projects (for the scale runs).

Run ``python bench/mirror.py ROOT`` to serve a folder by hand.
"""

from __future__ import annotations

import contextlib
import email.message
import hashlib
import html
import io
import json
import os
import random
import re
import sys
import threading
import zipfile
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

__all__ = ["Mirror", "make_synthetic"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_NAME = re.compile(r"[-_.]+")


def canonical(name: str) -> str:
    return _NAME.sub("-", name).lower()


class Mirror:
    """Serve a mirror folder; ``start()``/``stop()`` or use as a context manager."""

    def __init__(self, root: Path, *, upstream: str | None = None) -> None:
        self.root = Path(root)
        self.upstream = upstream.rstrip("/") + "/" if upstream else None
        for sub in ("pages", "files", "metadata"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.upstream_fetches = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._busy: dict[str, threading.Lock] = {}
        self._urls: dict[str, str] = {}  # filename -> upstream URL, from the pages served
        self._pages: dict[str, tuple[bytes, bytes, str]] = {}  # name -> (json, html, etag)
        self._session: Any = None
        self._server: ThreadingHTTPServer | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> Mirror:
        mirror = self

        class Handler(_Handler):
            pass

        Handler.mirror = mirror
        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Mirror:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple/"

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- content -------------------------------------------------------------------------------

    def page(self, name: str) -> tuple[bytes, bytes, str] | None:
        """The project's page as (JSON, HTML, ETag), file URLs pointing at this mirror."""
        name = canonical(name)
        with self._lock:
            found = self._pages.get(name)
        if found is not None:
            return found
        path = self.root / "pages" / f"{name}.json"
        with self._once(f"page:{name}"):
            if not path.exists():
                if self.upstream is None:
                    return None
                response = self._get(self.upstream + name + "/", headers={"Accept": JSON_TYPE})
                if response.status_code == 404:
                    return None
                response.raise_for_status()
                _atomic_write(path, response.content)
            doc = json.loads(path.read_bytes())
        files = []
        for entry in doc.get("files", []):
            filename = entry["filename"]
            with self._lock:
                self._urls.setdefault(filename, entry.get("url", ""))
            local = dict(entry)
            local["url"] = f"{self.base}/files/{filename}"
            upstream_metadata = local.pop("data-dist-info-metadata", None)
            local.pop("dist-info-metadata", None)
            if filename.endswith(".whl"):
                # Served from metadata/, made on first request out of the wheel: the very bytes
                # PyPI serves, so PyPI's hash of them (when it gave one) is kept, as PyPI does.
                given = local.get("core-metadata") or upstream_metadata
                local["core-metadata"] = given if isinstance(given, dict) else True
            else:
                local.pop("core-metadata", None)
            files.append(local)
        body = {
            "meta": {"api-version": "1.1"},
            "name": name,
            "versions": doc.get("versions", []),
            "files": files,
        }
        data = json.dumps(body).encode()
        html_page = _html_page(name, files)
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        result = (data, html_page, etag)
        with self._lock:
            self._pages[name] = result
        return result

    def file_path(self, filename: str) -> Path | None:
        path = self.root / "files" / filename
        with self._once(f"file:{filename}"):
            if path.exists():
                return path
            url = self._upstream_url(filename)
            if url is None:
                return None
            response = self._get(url, stream=True)
            response.raise_for_status()
            temp = path.with_name(f".{filename}.{os.getpid()}.part")
            with temp.open("wb") as out:
                for chunk in response.iter_content(256 * 1024):
                    out.write(chunk)
            os.replace(temp, path)
            return path

    def metadata(self, filename: str) -> bytes | None:
        path = self.root / "metadata" / f"{filename}.metadata"
        with self._once(f"meta:{filename}"):
            if path.exists():
                return path.read_bytes()
            wheel = self.root / "files" / filename
            if wheel.exists():
                with wheel.open("rb") as handle:
                    data = _metadata_member(handle)
            else:
                url = self._upstream_url(filename)
                if url is None:
                    return None
                data = self._remote_metadata(url)
            _atomic_write(path, data)
            return data

    # -- upstream ------------------------------------------------------------------------------

    def _upstream_url(self, filename: str) -> str | None:
        with self._lock:
            url = self._urls.get(filename)
        if url or self.upstream is None:
            return url or None
        # The page names the file; a client asking for a file first (a warm cache) needs it.
        project = _project_of(filename)
        if project is not None:
            self.page(project)
        with self._lock:
            return self._urls.get(filename) or None

    def _get(self, url: str, **kwargs: Any) -> Any:
        import requests

        with self._lock:
            if self._session is None:
                self._session = requests.Session()
            self.upstream_fetches += 1
        return self._session.get(url, timeout=60, **kwargs)

    def _remote_metadata(self, url: str) -> bytes:
        """A wheel's METADATA read out of the remote zip with range requests."""
        tail = self._get(url, headers={"Range": "bytes=-262144"})
        if tail.status_code == 200:
            return _metadata_member(io.BytesIO(tail.content))
        tail.raise_for_status()
        size = int(tail.headers["Content-Range"].rsplit("/", 1)[1])
        reader = _RemoteFile(
            lambda first, last: self._get(url, headers={"Range": f"bytes={first}-{last}"}).content,
            size,
            size - len(tail.content),
            tail.content,
        )
        return _metadata_member(reader)

    def _once(self, key: str) -> threading.Lock:
        with self._lock:
            return self._busy.setdefault(key, threading.Lock())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early are not the benchmark's business


class _Handler(BaseHTTPRequestHandler):
    mirror: Mirror
    protocol_version = "HTTP/1.1"  # keep-alive, as real indexes
    # Headers and body go out in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every response on a keep-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.mirror.requests += 1
        path = unquote(self.path.split("?", 1)[0])
        try:
            if path.startswith("/simple/"):
                self._simple(path[len("/simple/") :].strip("/"))
            elif path.startswith("/files/") and path.endswith(".metadata"):
                data = self.mirror.metadata(path[len("/files/") : -len(".metadata")])
                if data is None:
                    self._send(404, b"not found")
                else:
                    self._send(200, data, {"Content-Type": "binary/octet-stream"})
            elif path.startswith("/files/"):
                self._file(path[len("/files/") :])
            else:
                self._send(404, b"not found")
        except Exception as error:  # upstream trouble: a 502, as a proxy would say
            self._send(502, f"mirror: {error}".encode())

    def _simple(self, name: str) -> None:
        if not name:
            names = sorted(p.stem for p in (self.mirror.root / "pages").glob("*.json"))
            body = "".join(f'<a href="{n}/">{n}</a>\n' for n in names).encode()
            self._send(200, body, {"Content-Type": "text/html"})
            return
        page = self.mirror.page(name)
        if page is None:
            self._send(404, b"not found")
            return
        data, html_page, etag = page
        accept = self.headers.get("Accept", "")
        wants_json = "json" in accept
        headers = {
            "ETag": etag + ("j" if wants_json else "h"),
            "Cache-Control": "max-age=600, public",
            "Vary": "Accept",
            "Content-Type": JSON_TYPE if wants_json else "text/html",
        }
        if self.headers.get("If-None-Match") == headers["ETag"]:
            self._send(304, b"", headers)
            return
        self._send(200, data if wants_json else html_page, headers)

    def _file(self, filename: str) -> None:
        path = self.mirror.file_path(filename)
        if path is None:
            self._send(404, b"not found")
            return
        size = path.stat().st_size
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Cache-Control": "max-age=365000000, immutable, public",
            "ETag": f'"{size}-{int(path.stat().st_mtime)}"',
        }
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        with path.open("rb") as handle:
            if ranged and (ranged.group(1) or ranged.group(2)):
                first_s, last_s = ranged.groups()
                if first_s:
                    first = int(first_s)
                    last = min(int(last_s), size - 1) if last_s else size - 1
                else:
                    first, last = max(0, size - int(last_s)), size - 1
                handle.seek(first)
                headers["Content-Range"] = f"bytes {first}-{last}/{size}"
                self._send(206, handle.read(last - first + 1), headers)
                return
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            while True:
                chunk = handle.read(1024 * 1024)
                if not chunk:
                    break
                self.wfile.write(chunk)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


def _html_page(name: str, files: list[dict[str, Any]]) -> bytes:
    lines = [f"<!DOCTYPE html><html><body><h1>Links for {html.escape(name)}</h1>"]
    for entry in files:
        attrs = ""
        digest = entry.get("hashes", {}).get("sha256")
        href = entry["url"] + (f"#sha256={digest}" if digest else "")
        if entry.get("requires-python"):
            attrs += f' data-requires-python="{html.escape(entry["requires-python"])}"'
        if entry.get("yanked"):
            reason = entry["yanked"] if isinstance(entry["yanked"], str) else ""
            attrs += f' data-yanked="{html.escape(reason)}"'
        if entry.get("core-metadata"):
            attrs += ' data-core-metadata="true" data-dist-info-metadata="true"'
        lines.append(
            f'<a href="{html.escape(href)}"{attrs}>{html.escape(entry["filename"])}</a><br/>'
        )
    lines.append("</body></html>")
    return "\n".join(lines).encode()


def _project_of(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return canonical(filename.split("-", 1)[0])
    for suffix in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(suffix):
            return canonical(filename[: -len(suffix)].rpartition("-")[0])
    return None


def _metadata_member(fileobj: Any) -> bytes:
    with zipfile.ZipFile(fileobj) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return archive.read(name)
    raise ValueError("no .dist-info/METADATA in the wheel")


class _RemoteFile(io.RawIOBase):
    """Enough of a seekable file over range requests for zipfile to read one member."""

    def __init__(self, fetch: Callable[[int, int], bytes], size: int, start: int, tail: bytes):
        super().__init__()
        self._fetch, self._size, self._pos = fetch, size, 0
        self._chunks = [(start, tail)]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = max(0, {0: 0, 1: self._pos, 2: self._size}[whence] + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        for start, chunk in self._chunks:
            if start <= self._pos and self._pos + want <= start + len(chunk):
                data = chunk[self._pos - start : self._pos - start + want]
                break
        else:
            last = min(self._size, self._pos + max(want, 262144)) - 1
            chunk = self._fetch(self._pos, last)
            self._chunks.append((self._pos, chunk))
            data = chunk[:want]
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _atomic_write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    temp.write_bytes(data)
    os.replace(temp, path)


# -- synthetic projects --------------------------------------------------------------------------


def synthetic_names(count: int) -> list[str]:
    """The top-level project names of a synthetic mirror with ``count`` of them."""
    return [f"top-{n:04d}" for n in range(count)]


def make_synthetic(
    root: Path, top: int, *, shared: int | None = None, versions: int = 8
) -> list[str]:
    """Write a mirror folder of generated projects and return the top-level names.

    ``top`` top-level projects each depend on 3 of ``shared`` (default: ``top``, so that the
    work grows in proportion to ``top``) shared projects (random but
    seeded, so the same every time), which depend on 0-2 others among them; every project has
    ``versions`` releases, each with a manylinux_2_17 x86_64 wheel for cp312, a py3-none-any
    wheel for the oldest releases, and an sdist entry on the page (not on disk). Dependencies
    carry version ranges and some markers so resolvers do real work.
    """
    shared = top if shared is None else shared
    rng = random.Random(f"tagpip-bench-{top}-{shared}-{versions}")
    root = Path(root)
    for sub in ("pages", "files", "metadata"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    shared_names = [f"shared-{n:04d}" for n in range(shared)]
    deps: dict[str, list[str]] = {}
    for index, name in enumerate(shared_names):
        later = shared_names[index + 1 :]
        deps[name] = rng.sample(later, min(len(later), rng.randint(0, 2)))
    tops = synthetic_names(top)
    for name in tops:
        deps[name] = rng.sample(shared_names, 3)
    for name, requires in deps.items():
        files = []
        for v in range(versions):
            version = f"{1 + v // 3}.{v % 3}.0"
            requires_dist = []
            for i, dep in enumerate(requires):
                spec = f">={1 + (v % 2)}.0" if i % 2 == 0 else f"<{3 + v // 4}"
                marker = '; python_version >= "3.8"' if i == 1 else ""
                requires_dist.append(f"{dep}{spec}{marker}")
            requires_dist.append('colorama>=0.4; sys_platform == "win32"')
            tags = ["cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"]
            if v < 3:
                tags.append("py3-none-any")
            for tag in tags:
                filename = f"{name.replace('-', '_')}-{version}-{tag}.whl"
                wheel, metadata = _wheel(name, version, tag, requires_dist)
                (root / "files" / filename).write_bytes(wheel)
                (root / "metadata" / f"{filename}.metadata").write_bytes(metadata)
                files.append(
                    {
                        "filename": filename,
                        "url": f"synthetic:///{filename}",
                        "hashes": {"sha256": hashlib.sha256(wheel).hexdigest()},
                        "requires-python": ">=3.8",
                        "size": len(wheel),
                        "upload-time": f"2024-01-{1 + v:02d}T00:00:00.000000Z",
                        "yanked": False,
                    }
                )
            files.append(
                {
                    "filename": f"{name.replace('-', '_')}-{version}.tar.gz",
                    "url": f"synthetic:///{name}-{version}.tar.gz",
                    "hashes": {"sha256": "0" * 64},
                    "requires-python": ">=3.8",
                    "yanked": False,
                }
            )
        page = {"meta": {"api-version": "1.1"}, "name": name, "files": files}
        (root / "pages" / f"{name}.json").write_text(json.dumps(page))
    return tops


def _wheel(name: str, version: str, tag: str, requires: list[str]) -> tuple[bytes, bytes]:
    dist = f"{name.replace('-', '_')}-{version}"
    meta = email.message.Message()
    meta["Metadata-Version"] = "2.1"
    meta["Name"] = name
    meta["Version"] = version
    meta["Requires-Python"] = ">=3.8"
    for requirement in requires:
        meta["Requires-Dist"] = requirement
    metadata = meta.as_bytes()
    module = name.replace("-", "_")
    members = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist}.dist-info/METADATA": metadata,
        f"{dist}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: tagpip-bench\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ).encode(),
    }
    record = []
    for member, data in members.items():
        digest = hashlib.sha256(data).digest()
        import base64

        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{member},sha256={encoded},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    members[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return out.getvalue(), metadata


def main() -> None:
    root = Path(sys.argv[1])
    upstream = sys.argv[2] if len(sys.argv) > 2 else None
    with Mirror(root, upstream=upstream) as mirror:
        print(f"serving {root} at {mirror.url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
