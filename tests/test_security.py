"""Security promises, end to end through the real CLI against indexes on 127.0.0.1.

- Credentials in index URLs (``user:password@``, ``__token__:pypi-...@``) are sent only to their
  own host and never appear in output, errors, ``--log`` files, lock files or ``--report``.
- HTTPS certificates are verified: ``--cert`` (or ``PIP_CERT``) names the CA bundle,
  ``--client-cert`` presents a client certificate, ``--trusted-host`` turns verification off
  for one host, as in pip. Plain http is refused for hosts that are not loopback or trusted.
- Files whose metadata disagrees with their name are covered in test_faults.py.

The TLS tests make a throw-away CA with the ``openssl`` command line tool and skip without it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3.connection
from urllib3.util.ssl_ import create_urllib3_context

from support.server import IndexServer, Reply
from tagpip.cli import main

TARGET = ["--python-version", "3.12", "--platform", "manylinux2014_x86_64"]
USER, PASSWORD = "alice", "s3cr3t-Pa55"
TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZi0xMjM0LTU2NzgtOTBhYi1jZGVmMDEyMzQ1Njc4AAIqWzMsImFiY2RlZiJd"


@pytest.fixture(autouse=True)
def _no_stale_log_handlers() -> Iterator[None]:
    """``-v``/``--log`` runs leave handlers on the ``tagpip`` logger that write to this test's
    captured stderr; later runs without ``-v`` do not reset them, so drop them afterwards."""
    yield
    logger = logging.getLogger("tagpip")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def seed(server: IndexServer) -> None:
    server.add_wheel("app", "1.0", requires_dist=["helper>=1"])
    server.add_wheel("helper", "1.0")


def with_credentials(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def texts_of(*paths: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths if p.exists())


# -- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "password"), [(USER, PASSWORD), ("__token__", TOKEN)])
def test_credentials_never_leave_their_host_or_reach_any_output(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    user: str,
    password: str,
) -> None:
    seed(index_server)
    index_server.auth = (user, password)
    url = with_credentials(index_server.url, user, password)
    log, report, lock = tmp_path / "tagpip.log", tmp_path / "report.json", tmp_path / "lock.txt"
    status, out, err = run(
        [
            "download",
            "app",
            "-d",
            str(tmp_path / "w"),
            "-i",
            url,
            *TARGET,
            "--no-cache-dir",
            "-vv",
            "--log",
            str(log),
            "--report",
            str(report),
        ],
        capsys,
    )
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
    ]
    assert all(r.status != 401 for r in index_server.requests)
    report_urls = [i["download_info"]["url"] for i in json.loads(report.read_text())["install"]]
    assert all(u.startswith("http://127.0.0.1:") for u in report_urls), report_urls

    status, lock_out, lock_err = run(
        ["lock", "app", "-i", url, *TARGET, "--no-cache-dir", "-o", str(lock), "-v"], capsys
    )
    assert status == 0, lock_err
    pylock = tmp_path / "pylock.toml"
    status, pylock_out, pylock_err = run(
        ["lock", "app", "-i", url, *TARGET, "--no-cache-dir", "-o", str(pylock)], capsys
    )
    assert status == 0, pylock_err
    assert lock.read_text()
    assert pylock.read_text()

    everything = "\n".join(
        [out, err, lock_out, lock_err, pylock_out, pylock_err, texts_of(log, report, lock, pylock)]
    )
    assert password not in everything
    assert log.read_text()  # the log was written (and scrubbed), not skipped


def test_netrc_credentials_are_used_for_their_host(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    index_server.auth = (USER, PASSWORD)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    command = ["download", "app", "-d", str(tmp_path / "w"), "-i", index_server.url, *TARGET]
    status, out, err = run([*command, "--no-cache-dir", "--retries", "0"], capsys)
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
    ]
    assert all("authorization" in r.headers for r in index_server.requests)
    assert PASSWORD not in out + err


def test_the_proxy_environment_applies_to_every_request_and_no_proxy_to_its_hosts(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # tagpip's session reads the environment once per host, not per request (as requests does):
    # the answer must stay requests' own.
    import socket

    seed(index_server)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", dead)
    command = ["download", "app", "-d", str(tmp_path / "w"), "-i", index_server.url, *TARGET]
    status, _out, err = run([*command, "--no-cache-dir", "--retries", "0"], capsys)
    assert status == 1, err
    assert "proxy" in err.lower()
    assert not index_server.requests
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    status, _out, err = run([*command, "--no-cache-dir", "--retries", "0"], capsys)
    assert status == 0, err
    assert len(index_server.requests) >= 4  # two pages and two wheels (and metadata), direct


def test_wrong_credentials_fail_without_showing_them(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.auth = (USER, PASSWORD)
    url = with_credentials(index_server.url, USER, "wrong-" + PASSWORD)
    log = tmp_path / "tagpip.log"
    status, out, err = run(
        [
            "download",
            "app",
            "-d",
            str(tmp_path / "w"),
            "-i",
            url,
            *TARGET,
            "--no-cache-dir",
            "--retries",
            "0",
            "-vv",
            "--log",
            str(log),
        ],
        capsys,
    )
    assert status == 1
    assert "error: app: HTTP 401 Unauthorized from http://127.0.0.1:" in err, err
    assert "check the credentials" in err
    assert PASSWORD not in out + err + log.read_text()
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


@pytest.mark.parametrize("how", ["option", "requirements-file", "environment"])
def test_credentials_in_any_configured_url_stay_secret_on_errors(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """A failure while talking to a host with credentials (here a garbage page) names the URL
    redacted, wherever the URL came from."""
    seed(index_server)
    index_server.auth = ("__token__", TOKEN)
    index_server.overrides["/simple/app/"] = lambda request: Reply(
        200, b"{", {"Content-Type": "application/vnd.pypi.simple.v1+json"}
    )
    url = with_credentials(index_server.url, "__token__", TOKEN)
    args = ["download", "-d", str(tmp_path / "w"), *TARGET, "--no-cache-dir", "--retries", "0"]
    if how == "option":
        args += ["app", "-i", url]
    elif how == "requirements-file":
        req = tmp_path / "requirements.txt"
        req.write_text(f"--index-url {url}\napp\n")
        args += ["-r", str(req)]
    else:
        monkeypatch.setenv("PIP_INDEX_URL", url)
        args += ["app"]
    status, out, err = run(args, capsys)
    assert status == 1
    assert err.startswith("error: app: invalid JSON page"), err
    assert TOKEN not in out + err


def test_credentials_are_not_sent_to_another_host(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The index lists a file on a second server: that server never sees the Authorization."""
    with IndexServer(tmp_path / "other-root") as other:
        wheel = other.add_wheel("app", "1.0")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        page = {
            "meta": {"api-version": "1.0"},
            "name": "app",
            "files": [
                {
                    "filename": wheel.name,
                    "url": other.file_url(wheel.name),
                    "hashes": {"sha256": digest},
                }
            ],
        }
        index_server.auth = (USER, PASSWORD)
        index_server.overrides["/simple/app/"] = lambda request: Reply(
            200, json.dumps(page).encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        )
        url = with_credentials(index_server.url, USER, PASSWORD)
        status, _, err = run(
            [
                "download",
                "app",
                "--no-deps",
                "-d",
                str(tmp_path / "w"),
                "-i",
                url,
                *TARGET,
                "--no-cache-dir",
                "-q",
            ],
            capsys,
        )
        assert (status, err) == (0, "")
        assert other.requests
        assert all("authorization" not in r.headers for r in other.requests)
        assert all("authorization" in r.headers for r in index_server.requests)


def test_plain_http_to_a_remote_host_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(
        [
            "download",
            "app",
            "-d",
            str(tmp_path / "w"),
            *TARGET,
            "--no-cache-dir",
            "-i",
            f"http://{USER}:{PASSWORD}@pypi.invalid/simple/",
        ],
        capsys,
    )
    assert status == 1
    assert "pypi.invalid is not a trusted or secure host (plain http)" in err
    assert "--trusted-host pypi.invalid" in err
    assert PASSWORD not in err
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


# -- HTTPS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate."""

    ca: Path  # CA certificate (PEM): what --cert takes
    server_cert: Path
    server_key: Path
    client: Path  # client certificate and key in one PEM: what --client-cert takes


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=tagpip test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)  # fmt: skip
    for name, usage, san in (
        ("server", "serverAuth", "subjectAltName=IP:127.0.0.1\n"),
        ("client", "clientAuth", ""),
    ):
        (d / f"{name}.ext").write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            f"extendedKeyUsage={usage}\nsubjectKeyIdentifier=hash\n"
            f"authorityKeyIdentifier=keyid,issuer\n{san}"
        )
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN=tagpip test {name}", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-out", f"{name}.pem",
                 "-extfile", f"{name}.ext", cwd=d)  # fmt: skip
    client = d / "client-bundle.pem"
    client.write_text((d / "client.pem").read_text() + (d / "client.key").read_text())
    return Pki(d / "ca.pem", d / "server.pem", d / "server.key", client)


def _tls_server(root: Path, pki: Pki, *, client_certs: bool) -> IndexServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if client_certs:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    return IndexServer(root, ssl_context=context)


@pytest.fixture
def https_server(tmp_path: Path, pki: Pki) -> Iterator[IndexServer]:
    with _tls_server(tmp_path / "tls-root", pki, client_certs=False) as server:
        seed(server)
        yield server


def _https_run(
    server: IndexServer, dest: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    status, _, err = run(
        [
            "download",
            "app",
            "-d",
            str(dest),
            "-i",
            server.url,
            *TARGET,
            "--no-cache-dir",
            "--retries",
            "0",
            "-q",
            *extra,
        ],
        capsys,
    )
    return status, err


def test_https_with_an_unknown_ca_is_refused(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _https_run(https_server, tmp_path / "w", capsys)
    assert status == 1
    assert err.startswith("error: app: TLS error:"), err
    assert "CERTIFICATE_VERIFY_FAILED" in err
    assert "hint: pass --cert with your CA bundle" in err
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []
    assert https_server.requests == []  # no request got past the handshake


def test_https_with_the_ca_given_by_cert(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], pki: Pki
) -> None:
    status, err = _https_run(https_server, tmp_path / "w", capsys, "--cert", str(pki.ca))
    assert (status, err) == (0, "")
    assert len(list((tmp_path / "w").iterdir())) == 2


def test_https_with_the_ca_given_by_pip_cert(
    https_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIP_CERT", str(pki.ca))
    status, err = _https_run(https_server, tmp_path / "w", capsys)
    assert (status, err) == (0, "")


def test_https_refuses_a_certificate_for_another_name(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], pki: Pki
) -> None:
    """The certificate is for 127.0.0.1; reached as ``localhost`` it does not match."""
    url = https_server.url.replace("127.0.0.1", "localhost")
    status, _, err = run(
        [
            "download",
            "app",
            "-d",
            str(tmp_path / "w"),
            "-i",
            url,
            *TARGET,
            "--no-cache-dir",
            "--retries",
            "0",
            "--cert",
            str(pki.ca),
        ],
        capsys,
    )
    assert status == 1
    assert err.startswith("error: app: "), err
    assert "TLS error" in err or "could not connect" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}"])
def test_trusted_host_turns_verification_off(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    port = https_server.url.split(":")[2].split("/")[0]
    status, err = _https_run(
        https_server, tmp_path / "w", capsys, "--trusted-host", host.format(port=port)
    )
    assert (status, err) == (0, "")


def test_client_certificates(tmp_path: Path, capsys: pytest.CaptureFixture[str], pki: Pki) -> None:
    with _tls_server(tmp_path / "mtls-root", pki, client_certs=True) as server:
        seed(server)
        status, err = _https_run(server, tmp_path / "w", capsys, "--cert", str(pki.ca))
        assert status == 1
        assert err.startswith("error: app: "), err
        assert "Traceback" not in err
        assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []
        status, err = _https_run(
            server, tmp_path / "w", capsys, "--cert", str(pki.ca), "--client-cert", str(pki.client)
        )
        assert (status, err) == (0, "")
        assert len(list((tmp_path / "w").iterdir())) == 2


def test_a_missing_cert_file_is_a_clear_error(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _https_run(
        https_server, tmp_path / "w", capsys, "--cert", str(tmp_path / "nope.pem")
    )
    assert status == 1
    assert err.startswith("error: "), err
    assert "nope.pem" in err
    assert "Traceback" not in err
    assert "internal error" not in err


def test_one_tls_context_serves_every_connection(
    https_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """urllib3 would load the CA bundle into a new context for each connection (tens of ms for
    a system bundle); tagpip loads it once, and still verifies with it."""
    per_connection: list[object] = []
    real = create_urllib3_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        per_connection.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.connection, "create_urllib3_context", counting)
    status, err = _https_run(https_server, tmp_path / "w", capsys, "--cert", str(pki.ca))
    assert (status, err) == (0, "")
    assert len(https_server.requests) >= 3  # the page, the metadata, the files
    assert per_connection == []
    # With a client certificate, urllib3 does it all as before.
    status, err = _https_run(
        https_server,
        tmp_path / "w2",
        capsys,
        "--cert",
        str(pki.ca),
        "--client-cert",
        str(pki.client),
    )
    assert (status, err) == (0, "")
    assert per_connection != []


def test_a_cert_file_that_is_no_bundle_is_a_clear_error(
    https_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    status, err = _https_run(https_server, tmp_path / "w", capsys, "--cert", str(garbage))
    assert status == 1
    assert err.startswith("error: app: "), err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


def test_environment_is_clean() -> None:
    """Guard: the hermetic fixture keeps the machine's pip configuration out of these tests."""
    assert os.environ.get("PIP_CONFIG_FILE") == os.devnull


def test_a_redirect_from_https_to_plain_http_is_refused(
    https_server: IndexServer,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pki: Pki,
) -> None:
    """Even to loopback, even with credentials configured: once https, never plain http."""
    seed(index_server)
    https_server.auth = (USER, PASSWORD)
    https_server.redirects["/simple/app/"] = (302, index_server.url + "app/")
    url = with_credentials(https_server.url, USER, PASSWORD)
    status, _, err = run(
        ["download", "app", "-d", str(tmp_path / "w"), "-i", url, *TARGET, "--no-cache-dir",
         "--cert", str(pki.ca), "--retries", "0"],
        capsys,
    )  # fmt: skip
    assert status == 1, err
    assert err.startswith(
        f"error: app: refusing a redirect from {https_server.url}app/ to "
        f"{index_server.url}app/: the original request was https, the redirect is plain http\n"
        "hint: a request made over https never continues over plain http\n"
    ), err
    assert index_server.requests == []  # the plain http request was never sent
    assert PASSWORD not in err


def test_credentials_in_a_direct_url_are_sent_and_never_written(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pkg @ https://user:token@host/...``: the file is fetched with those credentials (no
    401), and neither the lock, its header, a pylock.toml, a report nor any output holds them."""
    seed(index_server)
    index_server.auth = (USER, PASSWORD)
    public = tmp_path / "public"
    with IndexServer(public) as plain:
        seed(plain)  # the index, without auth: only the direct URL needs credentials
        link = with_credentials(
            index_server.file_url("helper-1.0-py3-none-any.whl"), USER, PASSWORD
        )
        requirements = tmp_path / "requirements.txt"
        requirements.write_text(f"app\nhelper @ {link}\n")
        report, lock, pylock = (
            tmp_path / "report.json",
            tmp_path / "lock.txt",
            tmp_path / "pylock.toml",
        )
        common = ["-r", str(requirements), "-i", plain.url, *TARGET, "--no-cache-dir"]
        outputs = []
        for args in (
            ["download", "-d", str(tmp_path / "w"), "--report", str(report), "-v"],
            ["lock", "-o", str(lock)],
            ["lock", "-o", str(pylock)],
        ):
            status, out, err = run([*args, *common], capsys)
            assert status == 0, err
            outputs += [out, err]
    assert (tmp_path / "w" / "helper-1.0-py3-none-any.whl").read_bytes() == (
        index_server.root / "helper-1.0-py3-none-any.whl"
    ).read_bytes()
    assert [r.status for r in index_server.requests if r.status == 401] == []
    assert any(r.path.startswith("/files/helper") for r in index_server.requests)
    everything = "\n".join([*outputs, texts_of(report, lock, pylock)])
    assert PASSWORD not in everything
    assert f"{USER}:" not in texts_of(lock, pylock)


def test_the_http_cache_never_stores_credentials(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Metadata files and find-links pages go through CacheControl: its entries (keys, stored
    headers, Vary values) hold no credentials, even when the server varies on Authorization."""
    seed(index_server)
    index_server.auth = (USER, PASSWORD)
    url = with_credentials(index_server.url, USER, PASSWORD)
    cache = tmp_path / "cache"
    links = with_credentials(index_server.links_url, USER, PASSWORD)
    for vary in (False, True):
        if vary:
            index_server.mangle["/files/helper-1.0-py3-none-any.whl.metadata"] = _vary_on_auth
        status, _, err = run(
            ["download", "app", "-d", str(tmp_path / "w"), "-i", url, *TARGET,
             "--cache-dir", str(cache), "-f", links],
            capsys,
        )  # fmt: skip
        assert status == 0, err
    stored = [p for p in (cache / "tagpip" / "http").rglob("*") if p.is_file()]
    assert stored  # something was cached
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    for path in stored:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data, path
        assert token not in data, path
    everything = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert PASSWORD.encode() not in everything
    assert token not in everything


def _vary_on_auth(request: Any, reply: Reply) -> Reply:
    return Reply(reply.status, reply.body, {**reply.headers, "Vary": "Authorization"})


def test_credentials_in_a_direct_url_on_the_command_line_stay_out_of_lock_headers(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.auth = (USER, PASSWORD)
    link = with_credentials(index_server.file_url("helper-1.0-py3-none-any.whl"), USER, PASSWORD)
    url = with_credentials(index_server.url, USER, PASSWORD)
    for name in ("lock.txt", "pylock.toml"):
        output = tmp_path / name
        status, out, err = run(
            ["lock", "app", f"helper @ {link}", "-i", url, *TARGET, "--no-cache-dir",
             "-o", str(output)],
            capsys,
        )  # fmt: skip
        assert status == 0, err
        text = output.read_text()
        assert "helper @ http://****@127.0.0.1:" in text
        assert PASSWORD not in text + out + err
