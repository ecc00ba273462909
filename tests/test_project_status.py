"""PEP 792 project status markers (issue 34, item 1): read from JSON and HTML pages, kept by the
page cache, a quarantined project refused unless named, archived and deprecated ones said in
one line each, ``why`` showing the status, and ``--fail-on-status`` for CI. Against a real
index on 127.0.0.1 serving each status in both page formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer
from tagpip.cli import main
from tagpip.config.pip import IndexOptions
from tagpip.index.client import HttpIndex
from tagpip.index.pages import ACTIVE, ProjectStatus, parse_html_page, parse_json_page

PAGE = "https://index.example/simple/demo/"
TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.12"]


def _json(status: object | None = None, **more: object) -> str:
    doc: dict[str, object] = {"meta": {"api-version": "1.4"}, "name": "demo", "files": []}
    if status is not None:
        doc["project-status"] = status
    doc.update(more)
    return json.dumps(doc)


def _html(meta: str) -> str:
    return f"<!DOCTYPE html><html><head>{meta}</head><body></body></html>"


# --------------------------------------------------------------------------------------------
# Reading pages


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (None, ACTIVE),
        ({"status": "active"}, ACTIVE),
        ({"status": "archived"}, ProjectStatus("archived")),
        ({"status": "Deprecated", "reason": "use demo2"}, ProjectStatus("deprecated", "use demo2")),
        ({"status": "quarantined", "reason": "malware"}, ProjectStatus("quarantined", "malware")),
        # PEP 792's prose names the key "state"; its example and PyPI say "status".
        ({"state": "archived"}, ProjectStatus("archived")),
        # A marker a later standard may add is kept as the index spells it.
        ({"status": "sunset"}, ProjectStatus("sunset")),
        # What is not a marker reads as active, as the PEP has a page without one.
        ({"status": 3}, ACTIVE),
        ({"status": "no such thing!"}, ACTIVE),
        ("archived", ACTIVE),
        ({"status": "archived", "reason": ["not", "text"]}, ProjectStatus("archived")),
    ],
)
def test_a_json_page_gives_its_project_status(table: object, expected: ProjectStatus) -> None:
    assert parse_json_page(_json(table), PAGE).status == expected


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ("", ACTIVE),
        ('<meta name="pypi:repository-version" content="1.4">', ACTIVE),
        ('<meta name="pypi:project-status" content="archived">', ProjectStatus("archived")),
        (
            '<meta name="pypi:project-status" content="quarantined">'
            '<meta name="pypi:project-status-reason" content="the project is haunted">',
            ProjectStatus("quarantined", "the project is haunted"),
        ),
        (
            '<META NAME="PyPI:Project-Status" CONTENT="deprecated">'
            '<meta name="pypi:project-status-reason" content="use &quot;demo2&quot;">',
            ProjectStatus("deprecated", 'use "demo2"'),
        ),
    ],
)
def test_an_html_page_gives_its_project_status(meta: str, expected: ProjectStatus) -> None:
    assert parse_html_page(_html(meta), PAGE).status == expected


def test_a_reason_is_one_printable_line_of_bounded_length() -> None:
    reason = "line one\n\x1b[31mred\x1b[0m\tand\x07 more " + "x" * 400
    status = parse_json_page(_json({"status": "deprecated", "reason": reason}), PAGE).status
    assert status.reason is not None
    assert status.reason.startswith("line one [31mred [0m and more xxx")
    assert all(c.isprintable() for c in status.reason)
    assert len(status.reason) == 300
    assert status.reason.endswith("...")


# --------------------------------------------------------------------------------------------
# The index client and its page cache


@pytest.mark.parametrize("page_format", ["json", "html"])
def test_the_index_gives_the_status_with_its_url_and_the_cache_keeps_it(
    index_server: IndexServer, tmp_path: Path, page_format: str
) -> None:
    index_server.format = page_format  # type: ignore[assignment]
    index_server.add_wheel("demo", "1.0")
    index_server.project_status["demo"] = ("deprecated", "use demo2")
    options = IndexOptions(index_url=index_server.url, cache_dir=tmp_path / "cache")
    expected = ProjectStatus("deprecated", "use demo2", index_server.url)
    for _ in range(2):  # fetched, then the stored copy (fresh for 600 s)
        with HttpIndex(options) as index:
            assert index.releases(canonicalize_name("demo")).status == expected
    pages = [r for r in index_server.requests if r.path == "/simple/demo/"]
    assert len(pages) == 1


def test_the_gravest_status_of_several_indexes_wins_when_they_mix(
    index_server: IndexServer, tmp_path: Path
) -> None:
    with IndexServer(tmp_path / "other") as other:
        index_server.add_wheel("demo", "1.0")
        other.add_wheel("demo", "2.0")
        other.project_status["demo"] = ("archived", None)
        index_server.project_status["demo"] = ("deprecated", None)
        for strategy, expected in (
            ("first-index", ProjectStatus("archived", None, other.url)),
            ("unsafe-best-match", ProjectStatus("deprecated", None, index_server.url)),
        ):
            options = IndexOptions(
                index_url=index_server.url,
                extra_index_urls=(other.url,),
                no_cache=True,
                index_strategy=strategy,
            )
            with HttpIndex(options) as index:
                assert index.releases(canonicalize_name("demo")).status == expected


# --------------------------------------------------------------------------------------------
# What a run says and does


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(params=["json", "html"])
def server(request: pytest.FixtureRequest, index_server: IndexServer) -> IndexServer:
    """The test index, serving one kind of page: every status is checked in both."""
    index_server.format = request.param
    index_server.add_wheel("app", "1.0", requires_dist=["old", "gone"])
    index_server.add_wheel("old", "1.0")
    index_server.add_wheel("gone", "2.0")
    index_server.add_wheel("bad", "1.0")
    return index_server


def cmd(server: IndexServer, command: str, *args: str) -> list[str]:
    return [command, "-i", server.url, "--no-cache-dir", *args]


def test_archived_and_deprecated_projects_get_one_warning_line_each(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["old"] = ("archived", None)
    server.project_status["gone"] = ("deprecated", "superseded by new")
    status, out, err = run(
        cmd(server, "download", "app", "-d", str(tmp_path / "d"), "-q", *TARGET), capsys
    )
    assert (status, out) == (0, "")
    assert err == (
        f"warning: gone 2.0 is deprecated on {server.url} (superseded by new): it is "
        "considered obsolete, and may have been superseded by another project (PEP 792)\n"
        f"warning: old 1.0 is archived on {server.url}: its maintainers expect no further "
        "releases (PEP 792)\n"
    )
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "gone-2.0-py3-none-any.whl",
        "old-1.0-py3-none-any.whl",
    ]


def test_an_active_status_says_nothing(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["old"] = ("active", None)
    status, _, err = run(
        cmd(server, "download", "app", "-d", str(tmp_path / "d"), "-q", *TARGET), capsys
    )
    assert (status, err) == (0, "")


def test_a_quarantined_project_is_refused_by_name(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["bad"] = ("quarantined", "malware")
    server.serve_quarantined = True  # even an index that still lists its files
    dest = str(tmp_path / "d")
    status, out, err = run(cmd(server, "download", "bad", "-d", dest, *TARGET), capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"error: bad is quarantined on {server.url} (malware): the index considers it unsafe "
        "for any use (PEP 792), and tagpip refuses it (required by <command line>:1)\n"
        "hint: drop the requirement on bad; to take it all the same, name it with "
        "--allow-quarantined bad\n"
    )
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


def test_a_quarantined_project_with_no_files_says_the_override_cannot_help(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["bad"] = ("quarantined", None)  # PyPI lists no files then
    status, _, err = run(
        cmd(server, "download", "bad", "--allow-quarantined", "Bad", *TARGET),
        capsys,
    )
    assert status == 1
    assert err == (
        f"error: bad is quarantined on {server.url}, and the index lists no files for it; "
        "--allow-quarantined bad cannot bring them back (required by <command line>:1)\n"
        "hint: drop the requirement on bad, or fetch it from an index that serves it\n"
    )


def test_allow_quarantined_takes_it_and_says_so(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["bad"] = ("quarantined", "malware")
    server.serve_quarantined = True
    status, _, err = run(
        cmd(
            server, "download", "bad", "--allow-quarantined", "bad",
            "-d", str(tmp_path / "d"), "-q", *TARGET,
        ),
        capsys,
    )  # fmt: skip
    assert status == 0
    assert err == (
        f"warning: bad 1.0 is quarantined on {server.url} (malware): the index considers it "
        "unsafe for any use; taken because --allow-quarantined names it (PEP 792)\n"
    )
    assert (tmp_path / "d" / "bad-1.0-py3-none-any.whl").is_file()


def test_a_version_needing_a_quarantined_project_is_passed_over_with_a_note(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("lib", "1.0")
    index_server.add_wheel("lib", "2.0", requires_dist=["evil"])
    index_server.project_status["evil"] = ("quarantined", None)
    status, _, err = run(
        cmd(index_server, "download", "lib", "-d", str(tmp_path / "d"), "-q", *TARGET), capsys
    )
    assert status == 0
    assert err == (
        f"warning: evil is quarantined on {index_server.url}: the versions that require it "
        "were passed over (--allow-quarantined evil takes it)\n"
    )
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["lib-1.0-py3-none-any.whl"]


def test_fail_on_status_fails_the_run_naming_every_project(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["old"] = ("archived", None)
    server.project_status["gone"] = ("deprecated", "superseded by new")
    status, out, err = run(
        cmd(
            server, "download", "app", "-d", str(tmp_path / "d"),
            "--fail-on-status", "archived,deprecated", *TARGET,
        ),
        capsys,
    )  # fmt: skip
    assert (status, out) == (1, "")
    assert err == (
        "error: --fail-on-status archived,deprecated: the index marks these projects so:\n"
        f"  gone 2.0 is deprecated on {server.url} (superseded by new)\n"
        f"  old 1.0 is archived on {server.url}\n"
        "hint: replace them with maintained projects, or leave their status out of "
        "--fail-on-status\n"
    )
    assert not (tmp_path / "d").exists()


def test_fail_on_status_passes_when_no_pin_has_those_statuses(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.project_status["old"] = ("archived", None)
    status, _, err = run(
        cmd(
            server, "download", "app", "-d", str(tmp_path / "d"), "-q",
            "--fail-on-status", "deprecated", "--fail-on-status", "quarantined", *TARGET,
        ),
        capsys,
    )  # fmt: skip
    assert status == 0
    assert "old 1.0 is archived" in err


def test_fail_on_status_refuses_a_word_that_is_no_status(
    index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(
        cmd(index_server, "download", "app", "--fail-on-status", "archive", *TARGET), capsys
    )
    assert status == 2
    assert err == (
        "error: --fail-on-status: 'archive' is not a project status it takes\n"
        "hint: did you mean archived? give any of archived, deprecated, quarantined, "
        "comma-separated\n"
    )


def test_why_shows_the_status(server: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.project_status["gone"] = ("deprecated", "superseded by new")
    status, out, _ = run(cmd(server, "why", "gone", "app", *TARGET), capsys)
    assert status == 0
    assert out.splitlines()[:3] == [
        "gone 2.0 for CPython 3.12 on manylinux2014 x86_64",
        f"status (PEP 792): deprecated on {server.url} (superseded by new)",
        "pulled in by:",
    ]


# --------------------------------------------------------------------------------------------
# Locks record the statuses


def test_a_tagged_lock_records_a_status_under_its_line_and_reads_it_back(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tagpip.lock.files import read_lock

    server.project_status["old"] = ("archived", None)
    server.project_status["gone"] = ("deprecated", "superseded by new")
    lock = tmp_path / "requirements.lock"
    status, _, _ = run(cmd(server, "lock", "app", "-o", str(lock), "-q", *TARGET), capsys)
    assert status == 0
    lines = lock.read_text().splitlines()
    at = lines.index(next(line for line in lines if line.startswith("gone==2.0")))
    assert lines[at + 1 : at + 3] == [
        "    # status: deprecated: superseded by new",
        "    # via app",
    ]
    at = lines.index(next(line for line in lines if line.startswith("old==1.0")))
    assert lines[at + 1] == "    # status: archived"
    read = read_lock(lock)
    assert read is not None
    assert {p.name: p.status for p in read.packages} == {
        "app": ACTIVE,
        "gone": ProjectStatus("deprecated", "superseded by new"),
        "old": ProjectStatus("archived"),
    }
    # Fetching from the lock reads no index page: the recorded statuses are said, and held
    # to --fail-on-status.
    server.project_status.clear()
    status, _, err = run(
        cmd(server, "download", "-r", str(lock), "-d", str(tmp_path / "d"), "-q"), capsys
    )
    assert status == 0
    assert err == (
        "warning: gone 2.0 is deprecated (superseded by new): it is considered obsolete, and "
        f"may have been superseded by another project; as {lock} records it (PEP 792)\n"
        f"warning: old 1.0 is archived: its maintainers expect no further releases; as {lock} "
        "records it (PEP 792)\n"
    )
    status, _, err = run(
        cmd(
            server, "install", "-r", str(lock), "-t", str(tmp_path / "t"),
            "--fail-on-status", "archived", *TARGET,
        ),
        capsys,
    )  # fmt: skip
    assert status == 1
    assert err == (
        f"error: --fail-on-status archived: {lock} records these projects so:\n"
        "  old 1.0 is archived\n"
        "hint: replace them with maintained projects, or leave their status out of "
        "--fail-on-status\n"
    )
    assert not (tmp_path / "t").exists()


def test_a_pylock_records_the_statuses_in_its_tool_table_and_reads_them_back(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tagpip.compat import load_toml
    from tagpip.lock.files import read_lock

    server.project_status["old"] = ("archived", None)
    server.project_status["gone"] = ("deprecated", "superseded by new")
    lock = tmp_path / "pylock.toml"
    status, _, _ = run(cmd(server, "lock", "app", "-o", str(lock), "-q", *TARGET), capsys)
    assert status == 0
    tool = load_toml(lock.read_text())["tool"]["tagpip"]
    assert tool["project-status"] == {
        "gone": {"status": "deprecated", "reason": "superseded by new"},
        "old": {"status": "archived"},
    }
    read = read_lock(lock)
    assert read is not None
    assert {p.name: p.status for p in read.packages} == {
        "app": ACTIVE,
        "gone": ProjectStatus("deprecated", "superseded by new"),
        "old": ProjectStatus("archived"),
    }


def test_a_lock_of_active_projects_has_no_status_lines(
    server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("requirements.lock", "pylock.toml"):
        lock = tmp_path / name
        status, _, _ = run(cmd(server, "lock", "app", "-o", str(lock), "-q", *TARGET), capsys)
        assert status == 0
        assert "status" not in lock.read_text()


def test_several_targets_say_a_status_once(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("old", "1.0")
    index_server.project_status["old"] = ("archived", None)
    targets = [
        "--preset",
        "aws-lambda-python3.12-x86_64",
        "--preset",
        "aws-lambda-python3.12-arm64",
    ]
    lock = str(tmp_path / "requirements.lock")
    status, _, err = run(cmd(index_server, "lock", "old", "-o", lock, "-q", *targets), capsys)
    assert status == 0
    assert err == (
        f"warning: old 1.0 is archived on {index_server.url}: its maintainers expect no further "
        "releases (PEP 792)\n"
    )
