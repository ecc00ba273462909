"""Dependency confusion: which index serves a project, on two real indexes on 127.0.0.1.

``CORP`` serves ``corp-internal`` 1.0 (an internal project) and ``corp-app``, which needs it;
``PUBLIC`` serves ``corp-internal`` 99.0 (a public project of the same name, the attack) and
``six``. With ``-i PUBLIC --extra-index-url CORP`` (the usual setup), tagpip searches the extra
index first and the first index that knows a project serves all its versions (uv's
``first-index``), so ``corp-internal`` is 1.0 from CORP, and tagpip says PUBLIC has it too.
``--index-strategy unsafe-best-match`` (pip's rule) takes 99.0; ``--index-for`` pins a project to
an index. uv itself is the oracle for the strategies where it is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.cli.pipbackend import INDEX_RULE_NOTE

INTERNAL_1 = "corp_internal-1.0-py3-none-any.whl"
INTERNAL_99 = "corp_internal-99.0-py3-none-any.whl"


@pytest.fixture
def corp(tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(tmp_path / "corp") as server:
        server.add_wheel("corp-internal", "1.0")
        server.add_wheel("corp-app", "1.0", requires_dist=["corp-internal>=1"])
        yield server


@pytest.fixture
def public(tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(tmp_path / "public") as server:
        server.add_wheel("corp-internal", "99.0")
        server.add_wheel("six", "1.0")
        yield server


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def fetched(server: IndexServer) -> list[str]:
    """The files (not pages or metadata) ``server`` was asked for."""
    return [
        p.rsplit("/", 1)[-1]
        for p in server.paths("GET")
        if p.startswith("/files/") and not p.endswith(".metadata")
    ]


def first_index_note(corp: IndexServer, public: IndexServer, versions: str = "99.0") -> str:
    return (
        f"note: corp-internal: taking every version from {corp.url}, the first index that has "
        f"it; also on {public.url} ({versions}), left out by the first-index rule (to choose "
        "among all: --index-strategy unsafe-best-match; to pin it: --index-for)\n"
    )


def download(tmp_path: Path, corp: IndexServer, public: IndexServer, *args: str) -> list[str]:
    """``download -d TMP/d -i PUBLIC --extra-index-url CORP --no-cache-dir ARGS``."""
    return [
        "download",
        "-d",
        str(tmp_path / "d"),
        "-i",
        public.url,
        "--extra-index-url",
        corp.url,
        "--no-cache-dir",
        *args,
    ]


# -- the default: the first index that has a project -----------------------------------------------


def test_the_extra_index_is_searched_first_and_serves_the_project(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(download(tmp_path, corp, public, "corp-internal", "six"), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_1, "six-1.0-py3-none-any.whl"]
    assert err == first_index_note(corp, public)
    assert fetched(corp) == [INTERNAL_1]
    assert fetched(public) == ["six-1.0-py3-none-any.whl"]
    assert "Successfully downloaded corp-internal six" in out


def test_a_dependency_is_served_by_the_first_index_too(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = run(download(tmp_path, corp, public, "corp-app"), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == ["corp_app-1.0-py3-none-any.whl", INTERNAL_1]
    assert err == first_index_note(corp, public)


def test_versions_the_first_index_lacks_are_not_taken_from_another(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = run(download(tmp_path, corp, public, "corp-internal>=2"), capsys)
    assert status == 1
    assert files(tmp_path / "d") == []
    assert "corp-internal" in err


def test_a_mirror_with_the_same_versions_needs_no_note(
    corp: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with IndexServer(tmp_path / "mirror") as mirror:
        for path in corp.root.iterdir():
            shutil.copy(path, mirror.root / path.name)
        status, _, err = run(download(tmp_path, corp, mirror, "-q", "corp-internal"), capsys)
    assert (status, err) == (0, "")
    assert fetched(corp) == [INTERNAL_1]


def test_find_links_count_beside_the_first_index(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As in uv, find-links locations add to the files of the index that serves a project."""
    links = tmp_path / "links"
    links.mkdir()
    with IndexServer(tmp_path / "other") as other:
        wheel = other.add_wheel("corp-internal", "2.0")
    shutil.copy(wheel, links / wheel.name)
    status, _, err = run(
        download(tmp_path, corp, public, "-q", "-f", str(links), "corp-internal"), capsys
    )
    assert status == 0, err
    assert files(tmp_path / "d") == [wheel.name]


# -- the opt-out -----------------------------------------------------------------------------------


def best_match_note(corp: IndexServer, public: IndexServer) -> str:
    return (
        f"note: corp-internal is on several indexes: {corp.url}, and {public.url} (99.0); "
        "--index-strategy unsafe-best-match takes versions from each (a version on several from "
        "the first), so a public index can shadow an internal project\n"
    )


@pytest.mark.parametrize("how", ["command line", "file", "UV_INDEX_STRATEGY"])
def test_unsafe_best_match_takes_the_best_version_of_every_index_and_says_so(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("corp-internal\n")
    args = ["-r", str(requirements)]
    if how == "command line":
        args.append("--index-strategy=unsafe-best-match")
    elif how == "file":
        requirements.write_text("--index-strategy unsafe-best-match\ncorp-internal\n")
    else:
        monkeypatch.setenv("UV_INDEX_STRATEGY", "unsafe-best-match")
    status, _, err = run(download(tmp_path, corp, public, *args), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_99]
    assert err == best_match_note(corp, public)


def test_the_command_line_wins_over_a_file_and_a_file_over_the_environment(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UV_INDEX_STRATEGY", "unsafe-best-match")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("--index-strategy first-index\ncorp-internal\n")
    status, _, err = run(download(tmp_path, corp, public, "-q", "-r", str(requirements)), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_1]
    shutil.rmtree(tmp_path / "d")
    args = ["-q", "-r", str(requirements), "--index-strategy", "unsafe-best-match"]
    status, _, err = run(download(tmp_path, corp, public, *args), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_99]


def test_isolated_ignores_uv_index_strategy(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UV_INDEX_STRATEGY", "unsafe-best-match")
    status, _, err = run(
        download(tmp_path, corp, public, "-q", "--isolated", "corp-internal"), capsys
    )
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_1]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("first-match", INTERNAL_1),
        ("FIRST-INDEX", INTERNAL_1),
        ("unsafe-any-match", INTERNAL_1),
        ("unsafe-first-match", INTERNAL_1),
    ],
)
def test_uvs_names_and_aliases_are_taken(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    expected: str,
) -> None:
    args = ["-q", "--index-strategy", name, "corp-internal"]
    status, _, err = run(download(tmp_path, corp, public, *args), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [expected]


def test_unsafe_first_match_exhausts_the_first_index_then_moves_on(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["-q", "--index-strategy", "unsafe-first-match", "corp-internal>=2"]
    status, _, err = run(download(tmp_path, corp, public, *args), capsys)
    assert status == 0, err
    assert files(tmp_path / "d") == [INTERNAL_99]


def test_a_wrong_strategy_is_a_usage_error_naming_uvs_words(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(download(tmp_path, corp, public, "--index-strategy", "best", "six"))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "'best' is not an index strategy: one of first-index, unsafe-first-match, " in err
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("--index-strategy best\nsix\n")
    status, _, err = run(download(tmp_path, corp, public, "-r", str(requirements)), capsys)
    assert status == 1
    assert f"{requirements}:1:18: 'best' is not an index strategy" in err
    monkeypatch.setenv("UV_INDEX_STRATEGY", "best")
    status, _, err = run(download(tmp_path, corp, public, "six"), capsys)
    assert status == 1
    assert "environment variable UV_INDEX_STRATEGY: 'best' is not an index strategy" in err


# -- pins ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["command line", "file"])
def test_a_project_pinned_to_a_named_index_comes_from_it_under_any_strategy(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    requirements = tmp_path / "requirements.txt"
    lines = [f"--index corp={corp.url}", "--index-for corp-internal=corp"]
    if where == "file":
        requirements.write_text("\n".join([*lines, "corp-internal", "six"]) + "\n")
        args = ["-r", str(requirements)]
    else:
        requirements.write_text("corp-internal\nsix\n")
        args = ["-r", str(requirements), *(w for line in lines for w in line.split(" ", 1))]
    status, _, err = run(
        [
            "download",
            "-d",
            str(tmp_path / "d"),
            "-i",
            public.url,
            "--no-cache-dir",
            "-q",
            "--index-strategy",
            "unsafe-best-match",
            *args,
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1, "six-1.0-py3-none-any.whl"]
    # corp serves the pinned project, and is searched for the others too (as a named index).
    assert fetched(corp) == [INTERNAL_1]


def test_a_pin_to_an_index_given_only_there_serves_that_project_alone(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--index-for PROJECT=URL`` with a URL no other option gives: that index serves the
    pinned projects only (uv's explicit index), so corp-app, which is only there, is not
    found."""
    base = ["download", "-d", str(tmp_path / "d"), "-i", public.url, "--no-cache-dir", "-q"]
    pin = ["--index-for", f"corp-internal={corp.url}"]
    status, _, err = run([*base, *pin, "corp-internal", "six"], capsys)
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1, "six-1.0-py3-none-any.whl"]
    status, _, err = run([*base, *pin, "corp-app"], capsys)
    assert status == 1
    assert "corp-app" in err


def pin_to_corp(corp: IndexServer) -> list[str]:
    return ["--index", f"corp={corp.url}", "--index-for", "corp-internal=corp", "corp-internal"]


def test_a_pinned_project_ignores_find_links(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(public.root / INTERNAL_99, links / INTERNAL_99)
    status, _, err = run(
        download(tmp_path, corp, public, "-q", "-f", str(links), *pin_to_corp(corp)),
        capsys,
    )
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1]


def test_a_pin_to_an_unknown_name_is_an_error_naming_the_line(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index corp={corp.url}\n--index-for corp-internal=crop\nsix\n")
    status, _, err = run(download(tmp_path, corp, public, "-r", str(requirements)), capsys)
    assert status == 1
    assert err.splitlines() == [
        f"{requirements}:2:13: --index-for corp-internal=crop: no index is named 'crop' "
        "(named: corp)",
        "    --index-for corp-internal=crop",
        "                ^^^^^^^^^^^^^^^^^^",
        "hint: name it with --index crop=URL, or give the index's URL",
    ]
    status, _, err = run(
        download(tmp_path, corp, public, "--index-for", "corp-internal=corp", "six"), capsys
    )
    assert status == 2
    assert "error: --index-for corp-internal=corp: no index is named 'corp' (named: none)" in err


def test_a_plain_index_url_is_pips_short_form_of_index_url(
    corp: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pip reads ``--index URL`` as ``--index-url URL`` (an abbreviation): so does tagpip, in
    a file and on the command line; only ``--index NAME=URL`` is uv's named index."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index {corp.url}\ncorp-internal\n")
    base = ["download", "-d", str(tmp_path / "d"), "--no-cache-dir", "-q"]
    status, _, err = run([*base, "-r", str(requirements)], capsys)
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1]
    shutil.rmtree(tmp_path / "d")
    status, _, err = run([*base, "--index", corp.url, "corp-internal"], capsys)
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1]


# -- lock, install and download agree --------------------------------------------------------------


def test_lock_and_download_agree_and_a_lock_is_fetched_from_the_same_index(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lock = tmp_path / "requirements.lock"
    status, _, err = run(
        [
            "lock",
            "-i",
            public.url,
            "--extra-index-url",
            corp.url,
            "--no-cache-dir",
            "-o",
            str(lock),
            "corp-app",
        ],
        capsys,
    )
    assert status == 0, err
    assert err.startswith(first_index_note(corp, public) + "Locked 2 pins for ")
    digest = hashlib.sha256((corp.root / INTERNAL_1).read_bytes()).hexdigest()
    assert "corp-internal==1.0[" in lock.read_text()
    assert f"--hash=sha256:{digest}" in lock.read_text()
    status, _, err = run(download(tmp_path, corp, public, "-q", "-r", str(lock)), capsys)
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == ["corp_app-1.0-py3-none-any.whl", INTERNAL_1]
    assert fetched(public) == []
    target = tmp_path / "t"
    status, _, err = run(
        [
            "install",
            "--target",
            str(target),
            *download(tmp_path, corp, public, "-q", "-r", str(lock))[3:],
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    assert (target / "corp_internal-1.0.dist-info").is_dir()


# -- handing work to pip ---------------------------------------------------------------------------


def test_the_pip_backend_gets_each_file_by_url_and_says_why(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pip cannot apply the first-index rule: it is handed the very files tagpip chose."""
    status, out, err = run(
        download(tmp_path, corp, public, "--print-pip", "corp-internal", "six"), capsys
    )
    assert status == 0, err
    assert err == first_index_note(corp, public) + f"note: {INDEX_RULE_NOTE}\n"
    assert f"corp-internal @ {corp.file_url(INTERNAL_1)}" in out
    assert f"six @ {public.file_url('six-1.0-py3-none-any.whl')}" in out
    status, _, err = run(
        download(tmp_path, corp, public, "-q", "--backend", "pip", "corp-internal", "six"), capsys
    )
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == [INTERNAL_1, "six-1.0-py3-none-any.whl"]
    assert INTERNAL_99 not in fetched(public)


def test_real_pip_takes_the_shadowing_version_where_tagpip_does_not(
    corp: IndexServer, public: IndexServer, tmp_path: Path
) -> None:
    """The reason for the rule, on the same two indexes: pip's only rule is the best version of
    every index, so it takes PUBLIC's 99.0."""
    indexes = ["-d", str(tmp_path / "p"), "-i", public.url, "--extra-index-url", corp.url]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", *indexes, "corp-internal"],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert files(tmp_path / "p") == [INTERNAL_99]


# -- uv as the oracle ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "requirement"),
    [
        ("first-index", "corp-internal"),
        ("unsafe-best-match", "corp-internal"),
        ("unsafe-first-match", "corp-internal"),
        ("unsafe-first-match", "corp-internal>=2"),
    ],
)
def test_uv_picks_what_tagpip_picks(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    strategy: str,
    requirement: str,
) -> None:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed")
    options = ["-i", public.url, "--extra-index-url", corp.url, "--index-strategy", strategy]
    options += ["--no-cache", "--python", sys.executable]
    (tmp_path / "in.txt").write_text(requirement + "\n")
    done = subprocess.run(
        [uv, "pip", "compile", str(tmp_path / "in.txt"), "--no-header", "--no-annotate", *options],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("UV_")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    uv_pin = done.stdout.strip()
    status, _, err = run(
        download(tmp_path, corp, public, "-q", "--index-strategy", strategy, requirement), capsys
    )
    assert status == 0, err
    (wheel,) = files(tmp_path / "d")
    assert uv_pin == "corp-internal==" + wheel.split("-")[1]


def test_files_handed_to_pip_by_url_carry_their_index_credentials_off_the_command_line(
    corp: IndexServer,
    public: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CORP needs a password: pip gets CORP's file by a URL with CORP's credentials, which go
    into the private requirements file, never on pip's command line."""
    from support.children import ChildRecorder

    corp.auth = ("__token__", "c0rp-s3cret")
    secret_url = corp.url.replace("http://", "http://__token__:c0rp-s3cret@")
    recorder = ChildRecorder(tmp_path / "children")
    args = ["download", "-d", str(tmp_path / "d"), "-i", public.url, "--no-cache-dir", "-q"]
    args += ["--extra-index-url", secret_url, "--backend", "pip", "corp-app"]
    with recorder.recording(monkeypatch):
        status, _, err = run(args, capsys)
    assert (status, err) == (0, "")
    assert files(tmp_path / "d") == ["corp_app-1.0-py3-none-any.whl", INTERNAL_1]
    assert any("-m pip download" in line for line in recorder.commands())
    assert recorder.holding(["c0rp-s3cret"]) == []
