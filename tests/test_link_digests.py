"""Every digest a link gives is checked: index pages (HTML fragments and PEP 691 ``hashes``),
find-links pages and direct URLs, in every algorithm pip checks (md5, sha1, sha224, sha256,
sha384, sha512). A mismatch is refused as pip refuses it, naming the file, the expected and the
actual digest; a file whose only check is a weak digest is said so in one line. Real pip is the
oracle for "pip refuses this too"."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer, LoggedRequest, Reply
from tagpip import hashes
from tagpip.cli import main

WHEEL = "six-1.0-py3-none-any.whl"
ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def digest(server: IndexServer, algo: str, filename: str = WHEEL) -> str:
    return hashlib.new(algo, (server.root / filename).read_bytes()).hexdigest()


def wrong(algo: str) -> str:
    return "0" * hashes.DIGEST_LENGTHS[algo]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- reading a fragment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/x.whl", ()),
        ("https://h/x.whl#sha256=AB12", (("sha256", "ab12"),)),
        ("https://h/x.zip#sha1=00&egg=x", (("sha1", "00"),)),
        ("https://h/x.zip#egg=x&md5=ff&subdirectory=d", (("md5", "ff"),)),
        ("https://h/x.whl#md5=aa&sha256=bb", (("md5", "aa"), ("sha256", "bb"))),
        ("https://h/x.whl#SHA224=cc", (("sha224", "cc"),)),
        # Not hex: kept, so that it fails the check (pip: "Expected sha1 zz"), never passes.
        ("https://h/x.whl#sha1=zz", (("sha1", "zz"),)),
        ("https://h/x.whl#sha256=", ()),  # no digest at all, as pip reads it
        ("https://h/x.whl#blake2b=aa", ()),  # not one pip checks
        ("https://h/x.whl?sha256=aa", ()),  # a query is not a fragment
    ],
)
def test_a_fragment_gives_every_digest_pip_checks(
    url: str, expected: tuple[tuple[str, str], ...]
) -> None:
    assert hashes.fragment_hashes(url) == expected


def test_the_algorithms_are_pips_and_the_lengths_their_digests() -> None:
    assert set(hashes.ALGORITHMS) == {"sha512", "sha384", "sha256", "sha224", "sha1", "md5"}
    for algo in hashes.ALGORITHMS:
        assert len(hashlib.new(algo, b"").hexdigest()) == hashes.DIGEST_LENGTHS[algo]
    assert set(hashes.WEAK) | set(hashes.STRONG) == set(hashes.ALGORITHMS)


def test_only_weak_is_said_when_nothing_strong_checks_the_file() -> None:
    assert hashes.only_weak([("md5", "aa")]) == ("md5",)
    assert hashes.only_weak([("sha1", "aa"), ("md5", "bb")]) == ("md5", "sha1")
    assert hashes.only_weak([("md5", "aa"), ("sha256", "bb")]) == ()
    assert hashes.only_weak([("md5", "aa")], ["sha256:" + "1" * 64]) == ()
    assert hashes.only_weak([("md5", "aa")], ["md5:aa"]) == ("md5",)  # --hash takes no md5
    assert hashes.only_weak([]) == ()


def test_a_mismatch_names_the_algorithm_the_expected_and_the_actual_digest() -> None:
    got = {"md5": "11", "sha256": "22"}
    assert hashes.link_mismatch([("sha256", "22"), ("md5", "11")], got) is None
    assert hashes.link_mismatch([("sha256", "22"), ("MD5", "EE")], got) == ("md5", "ee", "11")
    assert hashes.link_mismatch([("blake2b", "aa")], got) is None


# -- index pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_a_wrong_index_digest_of_any_algorithm_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], algo: str
) -> None:
    index_server.add_wheel("six", "1.0")
    index_server.format = "html"
    index_server.link_hashes[WHEEL] = {algo: wrong(algo)}
    dest = tmp_path / "d"
    status, out, err = run(
        ["download", "-d", str(dest), "-i", index_server.url, "--no-cache-dir", "six"], capsys
    )
    assert (status, out) == (1, "")
    assert err.splitlines()[-2:] == [
        f"error: six: hash of {WHEEL} does not match its link: expected {algo}:{wrong(algo)}, "
        f"got {algo}:{digest(index_server, algo)}",
        "hint: the index page or URL that names the file gives that digest; the file may have "
        f"been tampered with or changed, so nothing was written for it (the {algo} digest is of "
        "the bytes received)",
    ]
    assert files(dest) == []


@pytest.mark.parametrize("page", ["html", "json"])
def test_a_right_weak_digest_passes_and_is_said_to_be_the_only_check(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], page: str
) -> None:
    index_server.add_wheel("six", "1.0")
    index_server.format = page  # type: ignore[assignment]
    index_server.link_hashes[WHEEL] = {"md5": digest(index_server, "md5")}
    dest = tmp_path / "d"
    status, _, err = run(
        ["download", "-d", str(dest), "-i", index_server.url, "--no-cache-dir", "-q", "six"],
        capsys,
    )
    assert status == 0, err
    assert err == (
        f"warning: {WHEEL} is checked only by the md5 digest its link gives, a weak algorithm "
        "(pin it with --hash=sha256:... to check it properly)\n"
    )
    assert files(dest) == [WHEEL]


def test_a_strong_hash_beside_the_weak_digest_needs_no_word_and_both_are_checked(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("six", "1.0")
    index_server.format = "json"
    index_server.link_hashes[WHEEL] = {"md5": digest(index_server, "md5")}
    sha256 = digest(index_server, "sha256")
    dest = tmp_path / "d"
    args = ["download", "-d", str(dest), "-i", index_server.url, "--no-cache-dir", "-q"]
    status, _, err = run([*args, f"six==1.0 --hash=sha256:{sha256}"], capsys)
    assert (status, err) == (0, "")
    # The md5 still counts with a --hash beside it: a wrong one is refused.
    index_server.link_hashes[WHEEL] = {"md5": wrong("md5")}
    status, _, err = run(
        [*args, "-d", str(tmp_path / "e"), f"six==1.0 --hash=sha256:{sha256}"], capsys
    )
    assert status == 1
    assert f"does not match its link: expected md5:{wrong('md5')}" in err


def test_a_fragment_and_the_json_hashes_must_both_hold(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PEP 691 entry whose URL carries ``#sha1=`` besides its ``hashes``: both are checked."""
    index_server.add_wheel("six", "1.0")
    index_server.format = "json"
    sha256 = digest(index_server, "sha256")
    entry = {
        "filename": WHEEL,
        "url": f"../../files/{WHEEL}#sha1={wrong('sha1')}",
        "hashes": {"sha256": sha256},
    }
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "six", "files": [entry]})

    def serve(request: LoggedRequest) -> Reply:
        return Reply(200, body.encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"})

    index_server.overrides["/simple/six/"] = serve
    dest = tmp_path / "d"
    status, _, err = run(
        ["download", "-d", str(dest), "-i", index_server.url, "--no-cache-dir", "six"], capsys
    )
    assert status == 1
    assert f"does not match its link: expected sha1:{wrong('sha1')}" in err
    assert files(dest) == []


# -- find-links ------------------------------------------------------------------------------------


@pytest.mark.parametrize("algo", ["sha1", "md5"])
def test_a_wrong_find_links_digest_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], algo: str
) -> None:
    index_server.add_wheel("six", "1.0")
    index_server.link_hashes[WHEEL] = {algo: wrong(algo)}
    dest = tmp_path / "d"
    status, _, err = run(
        [
            "download",
            "-d",
            str(dest),
            "--no-index",
            "-f",
            index_server.links_url,
            "--no-cache-dir",
            "six",
        ],
        capsys,
    )
    assert status == 1
    assert err.splitlines()[-2] == (
        f"error: six: hash of {WHEEL} does not match its link: expected {algo}:{wrong(algo)}, "
        f"got {algo}:{digest(index_server, algo)}"
    )
    assert files(dest) == []


def test_a_local_find_links_page_with_a_weak_digest_is_checked(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = index_server.add_wheel("six", "1.0")
    page = tmp_path / "links.html"
    page.write_text(f'<a href="{wheel.as_uri()}#sha1={wrong("sha1")}">{WHEEL}</a>\n')
    dest = tmp_path / "d"
    status, _, err = run(
        ["download", "-d", str(dest), "--no-index", "-f", str(page), "--no-cache-dir", "six"],
        capsys,
    )
    assert status == 1
    assert f"does not match its link: expected sha1:{wrong('sha1')}" in err


# -- direct URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("algo", ["sha1", "md5"])
def test_a_wrong_digest_in_a_direct_url_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], algo: str
) -> None:
    index_server.add_wheel("six", "1.0")
    url = index_server.file_url(WHEEL) + f"#{algo}={wrong(algo)}"
    dest = tmp_path / "d"
    status, _, err = run(
        ["download", "-d", str(dest), "--no-index", "--no-cache-dir", f"six @ {url}"], capsys
    )
    assert status == 1
    assert f"does not match its link: expected {algo}:{wrong(algo)}" in err
    assert files(dest) == []


# -- locks and the pip backend --------------------------------------------------------------------


def test_a_lock_checks_the_weak_digest_of_a_file_it_hashes_itself(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An md5-only index gives no sha256, so lock reads the file to hash it: the md5 must hold
    first, or the lock would record the sha256 of a file its own link disowns."""
    index_server.add_wheel("six", "1.0")
    index_server.link_hashes[WHEEL] = {"md5": wrong("md5")}
    out_file = tmp_path / "req.lock"
    args = ["lock", "-i", index_server.url, "--no-cache-dir", "-o", str(out_file), "six"]
    status, _, err = run(args, capsys)
    assert status == 1
    assert f"does not match its link: expected md5:{wrong('md5')}" in err
    assert not out_file.exists()
    index_server.link_hashes[WHEEL] = {"md5": digest(index_server, "md5")}
    status, _, err = run(args, capsys)
    assert status == 0, err
    assert f"--hash=sha256:{digest(index_server, 'sha256')}" in out_file.read_text()


def test_the_pip_backend_checks_the_weak_digest_of_what_pip_fetched(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("six", "1.0")
    index_server.link_hashes[WHEEL] = {"md5": digest(index_server, "md5")}
    dest = tmp_path / "d"
    status, _, err = run(
        [
            "download",
            "-d",
            str(dest),
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
            "six",
            "--backend",
            "pip",
        ],
        capsys,
    )
    assert status == 0, err
    assert files(dest) == [WHEEL]


# -- pip as the oracle ---------------------------------------------------------------------------


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize("where", ["index", "direct"])
def test_pip_refuses_the_same_wrong_weak_digests(
    index_server: IndexServer, tmp_path: Path, where: str
) -> None:
    """The claim this page rests on: pip checks a link's md5 or sha1, on an index page and in a
    direct URL, and refuses a wrong one ("Expected sha1 ... Got ...")."""
    index_server.add_wheel("six", "1.0")
    if where == "index":
        index_server.link_hashes[WHEEL] = {"md5": wrong("md5")}
        done = _pip("download", "--no-deps", "-d", str(tmp_path), "-i", index_server.url, "six")
        expected = f"Expected md5 {wrong('md5')}"
    else:
        url = index_server.file_url(WHEEL) + f"#sha1={wrong('sha1')}"
        done = _pip("download", "--no-deps", "-d", str(tmp_path), "--no-index", f"six @ {url}")
        expected = f"Expected sha1 {wrong('sha1')}"
    assert done.returncode != 0
    assert expected in done.stdout + done.stderr
    assert digest(index_server, "md5" if where == "index" else "sha1") in done.stdout + done.stderr
