"""``tagpip why NAME``, ``tagpip matrix`` and ``--explain NAME`` (issue 18, items 3 and 4): every
message asserted whole, against a real index on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.faults import page_path
from support.server import IndexServer, LoggedRequest, Reply
from tagpip.cli import main

OLD = ["--platform", "manylinux1_x86_64", "--python-version", "3.6"]
NEW = ["--platform", "manylinux2014_x86_64", "--python-version", "3.12"]
ARM = ["--platform", "manylinux2014_aarch64", "--python-version", "3.12"]
OLD_T = "CPython 3.6 on manylinux1 x86_64"
NEW_T = "CPython 3.12 on manylinux2014 x86_64"
ARM_T = "CPython 3.12 on manylinux2014 aarch64"


def seed(server: IndexServer) -> None:
    server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("helper", "2.1", requires_python=">=3.8")
    server.add_wheel("helper", "3.0b1")
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp312-cp312-manylinux_2_17_x86_64")
    server.add_wheel("native", "4.0", tags="cp312-cp312-manylinux_2_17_x86_64")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Path]:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name, args in (("old", OLD), ("new", NEW), ("arm", ARM)):
        status, out, _ = run(["tags", *args, "--json"], capsys)
        assert status == 0
        (folder / f"{name}.json").write_text(out)
    yield folder
    for handler in list(logging.getLogger("tagpip").handlers):
        logging.getLogger("tagpip").removeHandler(handler)


def cmd(server: IndexServer, command: str, *args: str) -> list[str]:
    return [command, "-i", server.url, "--no-cache-dir", *args]


THREE = ["--target-file", "old.json", "--target-file", "new.json", "--target-file", "arm.json"]


# --------------------------------------------------------------------------------------------
# why, one target


def test_why_gives_the_chain_each_newer_version_and_the_chosen_files_rank(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "why", "helper", "app==1.0", *OLD), capsys)
    assert (status, err) == (0, "")
    assert out == (
        f"helper 1.0 for {OLD_T}\n"
        "pulled in by:\n"
        "  <command line>:1: app==1.0\n"
        "    app 1.0 requires helper>=1\n"
        "versions considered, newest first:\n"
        "  3.0b1     is a pre-release (--pre allows it)\n"
        "  2.1, 2.0  requires Python >=3.8\n"
        "  1.0       chosen: helper-1.0-py3-none-any.whl\n"
        "            rank 33 of 39 tags: py3-none-any\n"
    )


def test_a_newer_version_without_a_wheel_for_the_targets_tags(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "why", "native", *OLD), capsys)
    # Without requirements, NAME alone is resolved.
    assert (status, err) == (0, "")
    assert out == (
        f"native 3.2 for {OLD_T}\n"
        "pulled in by:\n"
        "  <command line>:1: native\n"
        "versions considered, newest first:\n"
        "  4.0  ships no wheel for this target (cp312 for manylinux2014)\n"
        "  3.2  chosen: native-3.2-cp36-cp36m-manylinux1_x86_64.whl\n"
        "       rank 2 of 39 tags: cp36-cp36m-manylinux1_x86_64\n"
    )


def test_versions_excluded_by_a_line_and_by_a_constraint_name_them_with_file_and_line(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.add_wheel("helper", "1.5")
    (work / "requirements.txt").write_text("app==1.0\nhelper<2.1\n")
    (work / "constraints.txt").write_text("# keep off 2.0\nhelper!=2.0\n")
    args = ["helper", "-r", "requirements.txt", "-c", "constraints.txt", *NEW]
    status, out, err = run(cmd(index_server, "why", *args), capsys)
    assert (status, err) == (0, "")
    assert out == (
        f"helper 1.5 for {NEW_T}\n"
        "pulled in by:\n"
        "  requirements.txt:2: helper<2.1\n"
        "  requirements.txt:1: app==1.0\n"
        "    app 1.0 requires helper>=1\n"
        "versions considered, newest first:\n"
        "  3.0b1  is a pre-release (--pre allows it)\n"
        "  2.1    is excluded by requirements.txt:2: helper<2.1\n"
        "  2.0    is excluded by the constraint constraints.txt:2: helper!=2.0\n"
        "  1.5    chosen: helper-1.5-py3-none-any.whl\n"
        "         rank 435 of 447 tags: py3-none-any\n"
        "  and 1 older version, not needed\n"
    )


def conflicts(server: IndexServer) -> None:
    server.add_wheel("top", "1.0", requires_dist=["mid>=1"])
    server.add_wheel("mid", "1.0", requires_dist=["leaf"])
    server.add_wheel("leaf", "1.0")
    server.add_wheel("leaf", "2.0", requires_dist=["dep>=2"])
    server.add_wheel("pinner", "1.0", requires_dist=["dep<2"])
    server.add_wheel("dep", "1.0")
    server.add_wheel("dep", "2.0")


def test_a_version_that_conflicts_with_another_requirement_names_it(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conflicts(index_server)
    status, out, err = run(cmd(index_server, "why", "leaf", "top", "dep<2", *NEW), capsys)
    assert (status, err) == (0, "")
    assert out == (
        f"leaf 1.0 for {NEW_T}\n"
        "pulled in by:\n"
        "  <command line>:1: top\n"
        "    top 1.0 requires mid>=1\n"
        "    mid 1.0 requires leaf\n"
        "versions considered, newest first:\n"
        "  2.0  requires dep>=2, which conflicts with <command line>:2: dep<2\n"
        "  1.0  chosen: leaf-1.0-py3-none-any.whl\n"
        "       rank 435 of 447 tags: py3-none-any\n"
    )
    status, out, err = run(cmd(index_server, "why", "leaf", "top", "pinner", *NEW), capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[6] == (
        "  2.0  requires dep>=2, which conflicts with pinner 1.0 requiring dep<2"
    )


def test_yanked_versions_and_dependencies_with_no_usable_version(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conflicts(index_server)
    index_server.yanked["dep-2.0-py3-none-any.whl"] = "broken"
    status, out, err = run(cmd(index_server, "why", "dep", "top", "dep", *NEW), capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[3:] == [
        "versions considered, newest first:",
        "  2.0  is yanked: broken (pin it with == to use it)",
        "  1.0  chosen: dep-1.0-py3-none-any.whl",
        "       rank 435 of 447 tags: py3-none-any",
    ]
    status, out, err = run(cmd(index_server, "why", "leaf", "top", *NEW), capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[6] == (
        "  2.0  requires dep>=2, which has no usable version for this target"
    )


def test_a_version_uploaded_after_the_cut_off(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.format = "json"

    def later(request: LoggedRequest, reply: Reply) -> Reply:
        page = json.loads(reply.body)
        for entry in page["files"]:
            if entry["filename"].startswith("helper-2.1-"):
                entry["upload-time"] = "2025-06-01T00:00:00Z"
        return Reply(reply.status, json.dumps(page).encode(), dict(reply.headers))

    index_server.mangle[page_path("helper")] = later
    args = ["helper", "helper>=2", "--exclude-newer", "2025-01-01", *NEW]
    status, out, err = run(cmd(index_server, "why", *args), capsys)
    assert (status, err) == (0, "")
    assert out == (
        f"helper 2.0 for {NEW_T}\n"
        "pulled in by:\n"
        "  <command line>:1: helper>=2\n"
        "versions considered, newest first:\n"
        "  3.0b1  is a pre-release (--pre allows it)\n"
        "  2.1    was uploaded after 2025-01-01T00:00:00+00:00\n"
        "  2.0    chosen: helper-2.0-py3-none-any.whl\n"
        "         rank 435 of 447 tags: py3-none-any\n"
        "  and 1 older version, not needed\n"
    )


def test_a_project_a_false_marker_leaves_out_says_whose_marker(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["backport", "app==1.0", 'native; python_version < "3"', *NEW]
    status, out, err = run(cmd(index_server, "why", *args), capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"error: backport is not in the resolution for {NEW_T}\n"
        '  app 1.0 requires it only when python_version < "3.8", which is false for this target\n'
        "hint: nothing else pulls it in for this target\n"
    )
    status, out, err = run(cmd(index_server, "why", "native", *args[1:]), capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"error: native is not in the resolution for {NEW_T}\n"
        '  <command line>:2: native applies only when python_version < "3", which is false '
        "for this target\n"
        "hint: nothing else pulls it in for this target\n"
    )


def test_a_project_nothing_requires_gets_the_nearest_name(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "why", "helpr", "app==1.0", *NEW), capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"error: helpr is not in the resolution for {NEW_T}\n"
        "hint: did you mean helper? no requirement pulls it in; the resolution has app, helper\n"
    )


def test_a_resolution_that_fails_is_reported_as_the_error_it_is(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "why", "native", *ARM), capsys)
    assert (status, out) == (1, "")
    assert err == (
        f"error: no wheel of native for {ARM_T} (required by <command line>:1)\n"
        "  native 4.0 ships cp312 for manylinux2014\n"
        "  native 3.2 ships cp36, cp312 for manylinux1, manylinux2014\n"
        "hint: no version of native has a wheel for this target: choose a target it supports "
        "(-v lists every tag)\n"
    )


# --------------------------------------------------------------------------------------------
# why, several targets


def test_why_with_several_targets_explains_each_and_fails_for_one_that_does_not_resolve(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "why", "native", *THREE), capsys)
    assert (status, err) == (1, "")
    assert out == (
        f"native 3.2 for {OLD_T}\n"
        "pulled in by:\n"
        "  <command line>:1: native\n"
        "versions considered, newest first:\n"
        "  4.0  ships no wheel for this target (cp312 for manylinux2014)\n"
        "  3.2  chosen: native-3.2-cp36-cp36m-manylinux1_x86_64.whl\n"
        "       rank 2 of 39 tags: cp36-cp36m-manylinux1_x86_64\n"
        "\n"
        f"native 4.0 for {NEW_T}\n"
        "pulled in by:\n"
        "  <command line>:1: native\n"
        "versions considered, newest first:\n"
        "  4.0  chosen: native-4.0-cp312-cp312-manylinux_2_17_x86_64.whl\n"
        "       rank 1 of 447 tags: cp312-cp312-manylinux_2_17_x86_64\n"
        "  and 1 older version, not needed\n"
        "\n"
        f"native for {ARM_T}: the resolution fails:\n"
        f"  no wheel of native for {ARM_T} (required by <command line>:1)\n"
        "    native 4.0 ships cp312 for manylinux2014\n"
        "    native 3.2 ships cp36, cp312 for manylinux1, manylinux2014\n"
        "  hint: no version of native has a wheel for this target: choose a target it supports "
        "(-v lists every tag)\n"
    )


# --------------------------------------------------------------------------------------------
# matrix

MATRIX = (
    f"project   {OLD_T}  {NEW_T}  {ARM_T}\n"
    "app       1.0                               1.0                                   unresolved\n"
    "backport  1.5                               not needed                            unresolved\n"
    "helper    1.0                               2.1                                   unresolved\n"
    "native    3.2                               4.0                                   no wheel\n"
    f"{ARM_T} does not resolve:\n"
    f"  no wheel of native for {ARM_T} (required by <command line>:2)\n"
    "    native 4.0 ships cp312 for manylinux2014\n"
    "    native 3.2 ships cp36, cp312 for manylinux1, manylinux2014\n"
    "  hint: no version of native has a wheel for this target: choose a target it supports "
    "(-v lists every tag)\n"
)


def test_matrix_prints_project_by_target_with_versions_or_the_reason(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(cmd(index_server, "matrix", "app==1.0", "native", *THREE), capsys)
    assert (status, err) == (1, "")
    assert out == MATRIX


def test_matrix_of_targets_that_all_resolve_exits_0(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    two = THREE[:4]
    status, out, err = run(cmd(index_server, "matrix", "app==1.0", *two), capsys)
    assert (status, err) == (0, "")
    assert out == (
        f"project   {OLD_T}  {NEW_T}\n"
        "app       1.0                               1.0\n"
        "backport  1.5                               not needed\n"
        "helper    1.0                               2.1\n"
    )


def test_matrix_verbose_lists_the_tags_the_hint_promises(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["app==1.0", "native", "-v", *THREE]
    status, out, err = run(cmd(index_server, "matrix", *args), capsys)
    assert (status, out) == (1, MATRIX)
    assert err.splitlines()[-2:] == [
        "native 4.0 ships: cp312-cp312-manylinux_2_17_x86_64",
        "native 3.2 ships: cp36-cp36m-manylinux1_x86_64, cp312-cp312-manylinux_2_17_x86_64",
    ]


def test_matrix_json(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["app==1.0", "native", "--json", *THREE]
    status, out, err = run(cmd(index_server, "matrix", *args), capsys)
    assert (status, err) == (1, "")

    def ok(name: str) -> dict[str, str]:
        return {"version": name.split("-")[1], "file": name}

    unresolved = {"version": None, "reason": "unresolved"}
    assert json.loads(out) == {
        "targets": [
            {"target": OLD_T, "error": None},
            {"target": NEW_T, "error": None},
            {
                "target": ARM_T,
                "error": f"no wheel of native for {ARM_T} (required by <command line>:2)\n"
                "  native 4.0 ships cp312 for manylinux2014\n"
                "  native 3.2 ships cp36, cp312 for manylinux1, manylinux2014\n"
                "hint: no version of native has a wheel for this target: choose a target it "
                "supports (-v lists every tag)",
            },
        ],
        "projects": [
            {
                "name": "app",
                "cells": [ok("app-1.0-py3-none-any.whl")] * 2 + [unresolved],
            },
            {
                "name": "backport",
                "cells": [
                    ok("backport-1.5-py3-none-any.whl"),
                    {"version": None, "reason": "not needed"},
                    unresolved,
                ],
            },
            {
                "name": "helper",
                "cells": [
                    ok("helper-1.0-py3-none-any.whl"),
                    ok("helper-2.1-py3-none-any.whl"),
                    unresolved,
                ],
            },
            {
                "name": "native",
                "cells": [
                    ok("native-3.2-cp36-cp36m-manylinux1_x86_64.whl"),
                    ok("native-4.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
                    {"version": None, "reason": "no wheel"},
                ],
            },
        ],
    }


def test_matrix_short_reasons_for_python_and_unknown_projects(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.add_wheel("modern", "1.0", requires_python=">=3.10")
    status, out, err = run(cmd(index_server, "matrix", "modern", *THREE[:4]), capsys)
    assert (status, err) == (1, "")
    assert out == (
        f"project  {OLD_T}  {NEW_T}\n"
        "modern   needs Python >=3.10               1.0\n"
        f"{OLD_T} does not resolve:\n"
        "  modern is required by <command line>:1: every matching version is unusable: "
        "1.0 requires Python >=3.10\n"
        "  hint: loosen one of these requirements, or pin versions that agree\n"
    )
    status, out, err = run(cmd(index_server, "matrix", "nosuch", *THREE[:4]), capsys)
    assert (status, err) == (1, "")
    assert out.splitlines()[:2] == [
        f"project  {OLD_T}  {NEW_T}",
        "nosuch   not on the index                  not on the index",
    ]


def test_matrix_needs_requirements(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["matrix", "--preset", "aws-lambda-python3.12-x86_64"], capsys) == (
        2,
        "",
        "error: nothing to tabulate: give requirements or -r FILE\n"
        "hint: for example: tagpip matrix -r requirements.txt --preset A --preset B\n",
    )


# --------------------------------------------------------------------------------------------
# --explain on lock, download and install

EXPLAINED = (
    f"helper 1.0 for {OLD_T}\n"
    "pulled in by:\n"
    "  <command line>:1: app==1.0\n"
    "    app 1.0 requires helper>=1\n"
    "versions considered, newest first:\n"
    "  3.0b1     is a pre-release (--pre allows it)\n"
    "  2.1, 2.0  requires Python >=3.8\n"
    "  1.0       chosen: helper-1.0-py3-none-any.whl\n"
    "            rank 33 of 39 tags: py3-none-any\n"
)
NOTE = "note: helper 1.0, not 2.1: 2.1 requires Python >=3.8\n"


def test_lock_explain_prints_the_explanation_on_stderr(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["app==1.0", "--explain", "helper", "-o", "lock.txt", *OLD]
    status, out, err = run(cmd(index_server, "lock", *args), capsys)
    assert (status, out) == (0, "")
    assert err == NOTE + EXPLAINED + f"Locked 3 pins for {OLD_T} in lock.txt\n"


def test_download_explain_for_each_target_and_a_project_one_target_lacks(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["app==1.0", "-d", "wheels", "-q", "--explain", "backport", *THREE[:4]]
    status, out, err = run(cmd(index_server, "download", *args), capsys)
    assert (status, out) == (0, "")
    assert err == (
        f"backport 1.5 for {OLD_T}\n"
        "pulled in by:\n"
        "  <command line>:1: app==1.0\n"
        "    app 1.0 requires backport>=1\n"
        "versions considered, newest first:\n"
        "  1.5  chosen: backport-1.5-py3-none-any.whl\n"
        "       rank 33 of 39 tags: py3-none-any\n"
        "\n"
        f"backport is not in the resolution for {NEW_T}\n"
        '  app 1.0 requires it only when python_version < "3.8", which is false for this target\n'
    )


def test_install_explain(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["app==1.0", "-t", "deps", "-q", "--explain", "helper", *OLD]
    status, out, err = run(cmd(index_server, "install", *args), capsys)
    assert (status, out) == (0, "")
    assert err == EXPLAINED
    assert (work / "deps" / "helper-1.0.dist-info").is_dir()
