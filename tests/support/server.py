"""A real simple-repository index on 127.0.0.1, serving a folder of distribution files.

Layout (one flat folder, ``root``; a file's project comes from its name)::

    /simple/                      the project list
    /simple/<project>/            the project page: PEP 691 JSON or PEP 503 HTML, by the Accept
                                  header (or forced with ``format``); a non-normalised name
                                  redirects to the normalised one, an unknown one is a 404
    /files/<filename>             the file itself (HTTP Range requests unless switched off)
    /files/<filename>.metadata    a wheel's METADATA (PEP 658/714) unless switched off
    /links/                       a plain HTML page linking every file (a find-links page)

Pages carry sha256 hashes (``#sha256=`` in HTML, ``hashes`` in JSON), ``data-requires-python``
(from the wheel's own METADATA), ``data-yanked`` (PEP 592, from ``yanked``), the project's
status (PEP 792, from ``project_status``: ``project-status`` in JSON, ``pypi:project-status``
meta tags in HTML),
``data-core-metadata`` / ``data-dist-info-metadata`` (PEP 658/714, the hash of the metadata file),
and in JSON ``size`` and ``upload-time`` (PEP 700). Responses have an ``ETag`` (a matching
``If-None-Match`` gets a 304) and a ``Cache-Control`` header, so HTTP caching can be tested.

Every request is logged in ``requests`` (method, path, headers, status). ``overrides`` maps a
path to a callable that may answer instead of the server (return a ``Reply``) or decline (return
None): this is the hook for fault injection (errors, broken pages, slow or wrong answers).
``mangle`` maps a path to a callable that gets the reply about to be sent and may return another
one (a truncated, reset, slow or corrupted copy); tests/support/faults.py has both kinds.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import re
import socket
import ssl
import struct
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from support.wheels import build_sdist, build_wheel

__all__ = ["IndexServer", "LoggedRequest", "Mangle", "Override", "Reply"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
FIXED_UPLOAD_TIME = "2024-01-02T03:04:05.678901Z"


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server received, as it arrived."""

    method: str
    path: str
    headers: Mapping[str, str]  # header names lower-cased
    status: int


@dataclass
class Reply:
    """A response an override gives instead of the server's own.

    The last fields break the response on purpose (see tests/support/faults.py): ``delay`` waits
    before the status line (a hanging server; the wait ends early when the server stops);
    ``content_length`` declares a length other than ``len(body)`` (more than is sent: a truncated
    body); ``reset_after`` sends that many bytes of the body, then resets the connection;
    ``chunk`` and ``pause`` send the body in pieces with a pause between them (a slow server).
    Two events let a test wait for a moment instead of sleeping: ``answered`` is set when the
    status line goes out (after ``delay``), ``sent`` once the first piece of the body is out.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: int | None = None
    reset_after: int | None = None
    chunk: int | None = None
    pause: float = 0.0
    answered: threading.Event | None = None
    sent: threading.Event | None = None


Override = Callable[[LoggedRequest], "Reply | None"]
Mangle = Callable[[LoggedRequest, Reply], "Reply | None"]


class IndexServer:
    """The server and its switches; ``start()``/``stop()`` or use as a context manager.

    Switches (plain attributes, may change between requests): ``format`` forces ``"json"`` or
    ``"html"`` pages (``"auto"`` negotiates); ``metadata_files`` serves PEP 658 files;
    ``metadata_attribute`` picks PEP 714's ``"core"`` name, the legacy ``"dist-info"`` one, or
    ``"both"`` (as PyPI: ``core-metadata`` and, in JSON, ``data-dist-info-metadata``);
    ``range_requests``; ``etag``; ``cache_control`` (None for no header);
    ``upload_time`` (None to leave it out); ``auth`` a ``(user, password)`` pair every request
    must carry as HTTP Basic auth (else 401); ``link_hashes`` the digests a file's links give
    (pages and the find-links page) instead of its sha256. ``ssl_context`` (a server-side
    context) serves HTTPS instead of HTTP.
    """

    def __init__(self, root: Path, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.root = Path(root)
        self.ssl_context = ssl_context
        self.auth: tuple[str, str] | None = None
        self.stopping = threading.Event()
        self.root.mkdir(parents=True, exist_ok=True)
        self.format: Literal["auto", "json", "html"] = "auto"
        self.metadata_files = True
        self.metadata_attribute: Literal["core", "dist-info", "both"] = "both"
        self.range_requests = True
        self.etag = True
        self.cache_control: str | None = "max-age=600, public"
        self.upload_time: str | None = FIXED_UPLOAD_TIME
        self.yanked: dict[str, str] = {}  # filename -> reason ("" for none)
        # Normalised project -> its PEP 792 status and reason (None for none), on both kinds of
        # page (API version 1.4). A quarantined project's page lists no files, as PEP 792 has
        # the index do, unless ``serve_quarantined``; a project with a status and no files still
        # has a page.
        self.project_status: dict[str, tuple[str, str | None]] = {}
        self.serve_quarantined = False
        # filename -> the METADATA the index serves (PEP 658) and hashes on its pages instead
        # of the wheel's own: an index that disagrees with its wheels.
        self.served_metadata: dict[str, bytes] = {}
        # filename -> the digests its link gives instead of its sha256 ({"md5": hex}, several
        # for a fragment "#md5=...&sha256=..."): an index of another kind, or a wrong one.
        self.link_hashes: dict[str, dict[str, str]] = {}
        # path -> (status, location): answer with a redirect instead (any URL, another host's).
        self.redirects: dict[str, tuple[int, str]] = {}
        self.overrides: dict[str, Override] = {}
        self.mangle: dict[str, Mangle] = {}
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> IndexServer:
        server = self

        class Handler(_Handler):
            index = server

        self.stopping.clear()
        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.ssl_context = self.ssl_context
        # A short poll interval keeps shutdown (every test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends slow and hanging replies early
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """The index URL (``.../simple/``), as given to ``--index-url``."""
        return self.base_url + "/simple/"

    @property
    def links_url(self) -> str:
        """A find-links page listing every file."""
        return self.base_url + "/links/"

    def file_url(self, filename: str) -> str:
        return f"{self.base_url}/files/{quote(filename)}"

    def add_wheel(self, name: str, version: str, **kwargs: Any) -> Path:
        """Build a wheel into ``root`` (see ``build_wheel`` for the keywords)."""
        return build_wheel(self.root, name, version, **kwargs)

    def add_sdist(self, name: str, version: str) -> Path:
        return build_sdist(self.root, name, version)

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested so far, in order (optionally of one method only)."""
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- the repository ----------------------------------------------------------------------

    def projects(self) -> dict[str, list[Path]]:
        """Normalised project name -> its files, sorted by name."""
        found: dict[str, list[Path]] = {}
        for path in sorted(self.root.iterdir()):
            project = _project_of(path.name)
            if project is not None and path.is_file():
                found.setdefault(project, []).append(path)
        return found

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    ssl_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake happens in the handler's thread (see _Handler.setup), so a client
            # that refuses the certificate cannot stall the accepting loop.
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) leaves a broken pipe behind: not news.
        pass


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def wheel_metadata(path: Path) -> bytes | None:
    """A wheel's METADATA bytes, or None when the file is not a readable wheel."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return archive.read(name)
    except (OSError, zipfile.BadZipFile):
        return None
    return None


def _requires_python(metadata: bytes | None) -> str | None:
    if metadata is None:
        return None
    match = re.search(rb"^Requires-Python:[ \t]*(.*?)\s*$", metadata, re.MULTILINE)
    return match.group(1).decode() if match else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wants_json(accept: str) -> bool:
    """PEP 691 negotiation: the media type with the highest q wins; HTML when nothing matches."""
    best: tuple[float, bool] = (0.0, False)
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            candidate = (q, True)
        elif media in (HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", "*/*"):
            candidate = (q, False)
        else:
            continue
        if candidate[0] > best[0]:
            best = candidate
    return best[1]


class _Handler(BaseHTTPRequestHandler):
    index: IndexServer  # set on the subclass made by IndexServer.start()

    def setup(self) -> None:
        self.handshake_failed = False
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(5)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.handshake_failed = True
            self.request.settimeout(None)
        super().setup()

    def handle(self) -> None:
        if not self.handshake_failed:
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; the request log is in IndexServer.requests

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def _handle(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        probe = LoggedRequest(self.command, path, headers, 0)
        reply = self._authorize(headers)
        redirect = self.index.redirects.get(path)
        if reply is None and redirect is not None:
            reply = Reply(redirect[0], b"", {"Location": redirect[1]})
        override = self.index.overrides.get(path)
        if reply is None and override is not None:
            reply = override(probe)
        if reply is None:
            reply = self._route(path, headers)
        mangle = self.index.mangle.get(path)
        if mangle is not None:
            reply = mangle(probe, reply) or reply
        self.index._log(LoggedRequest(self.command, path, headers, reply.status))
        if reply.delay and self.index.stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.answered is not None:
            reply.answered.set()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        length = reply.content_length if reply.content_length is not None else len(reply.body)
        self.send_header("Content-Length", str(length))
        if reply.content_length is not None or reply.reset_after is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if send_body:
            self._send_body(reply)

    def _authorize(self, headers: Mapping[str, str]) -> Reply | None:
        """A 401 when ``auth`` is set and the request does not carry it."""
        if self.index.auth is None:
            return None
        user, password = self.index.auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        if headers.get("authorization") == f"Basic {token}":
            return None
        return Reply(
            401,
            b"authentication required",
            {"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="test"'},
        )

    def _send_body(self, reply: Reply) -> None:
        body = reply.body
        if reply.reset_after is not None:
            body = body[: reply.reset_after]
        step = reply.chunk or len(body) or 1
        for start in range(0, len(body), step):
            if start and reply.pause and self.index.stopping.wait(reply.pause):
                break
            try:
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
            except OSError:
                return  # the client went away (it was interrupted or gave up)
            if reply.sent is not None:
                reply.sent.set()
        if reply.reset_after is not None:
            # SO_LINGER with a zero timeout: close() sends a TCP reset, not a clean FIN.
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

    # -- routing -----------------------------------------------------------------------------

    def _route(self, path: str, headers: Mapping[str, str]) -> Reply:
        index = self.index
        if path == "/simple/":
            return self._page(self._root_page(headers), headers)
        if path.startswith("/simple/"):
            name = path[len("/simple/") :].strip("/")
            normal = canonicalize_name(name)
            if name != normal or not path.endswith("/"):
                return Reply(301, headers={"Location": f"/simple/{normal}/"})
            files = index.projects().get(normal)
            status = index.project_status.get(normal)
            if files is None and status is None:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            if files is None or (
                status is not None and status[0] == "quarantined" and not index.serve_quarantined
            ):
                files = []
            return self._page(self._project_page(normal, files, headers), headers)
        if path == "/links/":
            files = [p for ps in index.projects().values() for p in ps]
            anchors = "".join(
                f'<a href="../files/{quote(p.name)}{_fragment(index.link_hashes.get(p.name))}">'
                f"{html.escape(p.name)}</a><br>\n"
                for p in sorted(files)
            )
            body = f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n".encode()
            return self._page(("text/html", body), headers)
        if path.startswith("/files/"):
            filename = unquote(path[len("/files/") :])
            if filename.endswith(".metadata") and index.metadata_files:
                metadata = index.served_metadata.get(filename[: -len(".metadata")])
                if metadata is None:
                    metadata = wheel_metadata(index.root / filename[: -len(".metadata")])
                if metadata is not None:
                    return self._cached(
                        Reply(200, metadata, {"Content-Type": "text/plain"}), headers
                    )
            target = index.root / filename
            if "/" not in filename and target.is_file():
                return self._file(target.read_bytes(), headers)
        return Reply(404, b"not found", {"Content-Type": "text/plain"})

    def _page(self, page: tuple[str, bytes], headers: Mapping[str, str]) -> Reply:
        content_type, body = page
        reply = Reply(200, body, {"Content-Type": content_type, "Vary": "Accept"})
        return self._cached(reply, headers)

    def _cached(self, reply: Reply, headers: Mapping[str, str] | None = None) -> Reply:
        """Add ETag / Cache-Control; answer 304 when the client already has this body."""
        if self.index.cache_control is not None:
            reply.headers["Cache-Control"] = self.index.cache_control
        if self.index.etag:
            etag = f'"{_sha256(reply.body)[:32]}"'
            reply.headers["ETag"] = etag
            if headers is not None and headers.get("if-none-match") == etag:
                return Reply(304, b"", dict(reply.headers))
        return reply

    def _file(self, data: bytes, headers: Mapping[str, str]) -> Reply:
        base = {"Content-Type": "application/octet-stream"}
        if not self.index.range_requests or "range" not in headers:
            if self.index.range_requests:
                base["Accept-Ranges"] = "bytes"
            return self._cached(Reply(200, data, base), headers)
        base["Accept-Ranges"] = "bytes"
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", headers["range"].strip())
        size = len(data)
        if match is None or match.group(1) == match.group(2) == "":
            return Reply(416, b"", {"Content-Range": f"bytes */{size}"})
        first, last = match.groups()
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start = int(first)
            end = min(size - 1, int(last)) if last else size - 1
        if start >= size or start > end:
            return Reply(416, b"", {"Content-Range": f"bytes */{size}"})
        base["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Reply(206, data[start : end + 1], base)

    # -- pages -------------------------------------------------------------------------------

    def _format(self, headers: Mapping[str, str]) -> Literal["json", "html"]:
        forced = self.index.format
        if forced != "auto":
            return forced
        return "json" if _wants_json(headers.get("accept", "")) else "html"

    def _root_page(self, headers: Mapping[str, str]) -> tuple[str, bytes]:
        names = sorted(self.index.projects())
        if self._format(headers) == "json":
            doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
            return JSON_TYPE, json.dumps(doc, indent=1).encode()
        anchors = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
        return HTML_TYPE, f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n".encode()

    def _project_page(
        self, project: str, files: Iterable[Path], headers: Mapping[str, str]
    ) -> tuple[str, bytes]:
        index = self.index
        entries = []
        for path in files:
            data = path.read_bytes()
            metadata = wheel_metadata(path) if path.name.endswith(".whl") else None
            metadata = index.served_metadata.get(path.name, metadata)
            entry: dict[str, Any] = {
                "filename": path.name,
                "url": f"../../files/{quote(path.name)}",
                "hashes": index.link_hashes.get(path.name, {"sha256": _sha256(data)}),
                "requires-python": _requires_python(metadata),
                "size": len(data),
            }
            if path.name in index.yanked:
                entry["yanked"] = index.yanked[path.name] or True
            if metadata is not None and index.metadata_files:
                meta_hashes = {"sha256": _sha256(metadata)}
                if index.metadata_attribute in ("core", "both"):
                    entry["core-metadata"] = meta_hashes
                if index.metadata_attribute == "dist-info":
                    entry["dist-info-metadata"] = meta_hashes
                elif index.metadata_attribute == "both":
                    # As PyPI spells the old name beside PEP 714's: a JSON "dist-info-metadata"
                    # dict is what crashed pip 23.0 (the pip a Python 3.9 venv, and so a build
                    # environment on it, starts with), which is why PEP 714 renamed it.
                    entry["data-dist-info-metadata"] = meta_hashes
            if index.upload_time is not None:
                entry["upload-time"] = index.upload_time
            entries.append(entry)

        status = index.project_status.get(project)
        api = "1.4" if status is not None else "1.1"
        if self._format(headers) == "json":
            doc: dict[str, Any] = {
                "meta": {"api-version": api},
                "name": project,
                "files": [{k: v for k, v in e.items() if v is not None} for e in entries],
                "versions": sorted({str(_version_of(e["filename"])) for e in entries}),
            }
            if status is not None:
                doc["project-status"] = {"status": status[0]}
                if status[1] is not None:
                    doc["project-status"]["reason"] = status[1]
            return JSON_TYPE, json.dumps(doc, indent=1).encode()

        anchors = []
        for e in entries:
            attrs = [f'href="{html.escape(e["url"])}{_fragment(e["hashes"])}"']
            if e["requires-python"] is not None:
                attrs.append(f'data-requires-python="{html.escape(e["requires-python"])}"')
            if "yanked" in e:
                reason = "" if e["yanked"] is True else str(e["yanked"])
                attrs.append(f'data-yanked="{html.escape(reason)}"')
            for key, attribute in (
                ("core-metadata", "data-core-metadata"),
                ("dist-info-metadata", "data-dist-info-metadata"),
                ("data-dist-info-metadata", "data-dist-info-metadata"),
            ):
                if key in e:
                    attrs.append(f'{attribute}="sha256={e[key]["sha256"]}"')
            anchors.append(f"<a {' '.join(attrs)}>{html.escape(e['filename'])}</a><br>\n")
        meta = f'<meta name="pypi:repository-version" content="{api}">'
        if status is not None:
            meta += f'\n<meta name="pypi:project-status" content="{html.escape(status[0])}">'
            if status[1] is not None:
                meta += (
                    f'\n<meta name="pypi:project-status-reason" content="{html.escape(status[1])}">'
                )
        body = (
            f"<!DOCTYPE html>\n<html><head>{meta}"
            f"<title>Links for {project}</title></head><body>\n<h1>Links for {project}</h1>\n"
            + "".join(anchors)
            + "</body></html>\n"
        )
        return HTML_TYPE, body.encode()


def _fragment(hashes: Mapping[str, str] | None) -> str:
    """A link's ``#algo=hex&...`` fragment for ``hashes`` ("" for none)."""
    if not hashes:
        return ""
    return html.escape("#" + "&".join(f"{algo}={digest}" for algo, digest in hashes.items()))


def _version_of(filename: str) -> object:
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[1]
    return parse_sdist_filename(filename)[1]
