"""What a delivery is made of (issue 34, items 2 and 3): the CycloneDX 1.6 SBOM that
``bundle``, ``install --target`` and ``lock`` write with ``--sbom``, held to the CycloneDX JSON
schema (cyclonedx-python-lib's strict validator), the SBOMs wheels carry (PEP 770) kept and
referenced, ``bundle``'s licence summary and ``--deny-license``. Against a real index on
127.0.0.1 serving wheels that declare each licence form."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.provenance.licences import Licence, check_licences, judge, licence_of, summary

PRESET = ["--preset", "aws-lambda-python3.12-x86_64"]
TARGET_T = "CPython 3.12 on manylinux_2_34 x86_64"
GPL3 = "OSI Approved :: GNU General Public License v3 (GPLv3)"
EMBEDDED = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1})


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def seed(server: IndexServer) -> None:
    """A project in each licence form: PEP 639 expression, classifier, License field (SPDX and
    free text), none; one wheel carrying an SBOM."""
    server.add_wheel(
        "app", "1.0", license_expression="MIT", requires_dist=["helper", "classic", "mystery"]
    )
    server.add_wheel(
        "helper",
        "2.0",
        classifiers=["License :: OSI Approved :: BSD License", "Programming Language :: Python"],
        requires_dist=["prose"],
        sboms={"auditwheel.cdx.json": EMBEDDED},
    )
    server.add_wheel("classic", "1.0", license="BSD-3-Clause")
    server.add_wheel("prose", "1.0", license="Copyright (c) The Prose Authors\nAll rights.")
    server.add_wheel("mystery", "1.0")


def cmd(server: IndexServer, command: str, *args: str) -> list[str]:
    return [command, "-i", server.url, "--no-cache-dir", *args]


def validate(sbom: dict[str, Any]) -> None:
    """The document against the published CycloneDX 1.6 JSON schema (strict: no unknown keys)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(sbom))
    assert error is None, str(error)[:2000]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def by_name(sbom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in sbom["components"]}


def props(entry: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", "") for p in entry.get("properties", [])}


# --------------------------------------------------------------------------------------------
# Reading licences


@pytest.mark.parametrize(
    ("expression", "license", "classifiers", "expected"),
    [
        ("mit or apache-2.0", None, [], Licence("License-Expression", "MIT OR Apache-2.0")),
        (
            None,
            None,
            ["License :: OSI Approved :: MIT License", "Topic :: Utilities"],
            Licence("classifier", None, ("OSI Approved :: MIT License",)),
        ),
        (None, "Apache-2.0", [], Licence("License", "Apache-2.0")),
        (None, "Apache License 2", [], Licence("License", None, ("Apache License 2",))),
        (None, "UNKNOWN", [], Licence()),
        (None, None, [], Licence()),
        # The expression wins over the older forms, as PEP 639 has it.
        ("MIT", "BSD", ["License :: OSI Approved :: BSD License"], Licence("License-Expression", "MIT")),  # noqa: E501
    ],
)  # fmt: skip
def test_the_declared_licence_is_read_best_form_first(
    expression: str | None, license: str | None, classifiers: list[str], expected: Licence
) -> None:
    assert licence_of(expression, license, classifiers) == expected


@pytest.mark.parametrize(
    ("licence", "patterns", "denied"),
    [
        (Licence("License-Expression", "GPL-3.0-only"), ["GPL-*"], "GPL-3.0-only"),
        (Licence("License-Expression", "MIT OR GPL-3.0-only"), ["GPL-*"], None),
        (Licence("License-Expression", "MIT AND GPL-3.0-only"), ["GPL-*"], "GPL-3.0-only"),
        (Licence("License-Expression", "(MIT OR GPL-2.0-only) AND Apache-2.0"), ["gpl-*"], None),
        (Licence("License-Expression", "GPL-2.0-only OR GPL-3.0-only"), ["GPL-*"], "GPL-2.0-only"),
        (
            Licence("License-Expression", "GPL-2.0-or-later WITH Classpath-exception-2.0"),
            ["GPL-2.0-or-later"],
            "GPL-2.0-or-later",
        ),
        # A classifier names a family: denied when any licence of it is.
        (Licence("classifier", None, (GPL3,)), ["GPL-3.0-only"], "GPL-3.0-only"),
        (Licence("classifier", None, ("OSI Approved :: MIT License",)), ["GPL-*"], None),
        (Licence("License", "AGPL-3.0-or-later"), ["AGPL-*"], "AGPL-3.0-or-later"),
    ],
)  # fmt: skip
def test_deny_license_denies_what_every_way_to_comply_needs(
    licence: Licence, patterns: list[str], denied: str | None
) -> None:
    assert judge(licence, patterns).denied == denied


def test_a_licence_that_is_not_spdx_is_warned_about_not_passed_silently() -> None:
    warnings = check_licences(
        [
            ("prose", Licence("License", None, ("Copyright (c) The Prose Authors...",))),
            ("mystery", Licence()),
            ("odd", Licence("classifier", None, ("Other/Proprietary License",))),
            ("fine", Licence("License-Expression", "MIT")),
        ],
        ["GPL-*"],
    )
    assert warnings == [
        "mystery declares no licence, which tagpip cannot read as SPDX licences: "
        "--deny-license cannot tell whether it is denied",
        "odd declares Other/Proprietary License (classifier), which tagpip cannot read as SPDX "
        "licences: --deny-license cannot tell whether it is denied",
        "prose declares 'Copyright (c) The Prose Authors...' (License field), which tagpip "
        "cannot read as SPDX licences: --deny-license cannot tell whether it is denied",
    ]


def test_the_summary_groups_projects_by_licence_with_the_unknown_last() -> None:
    assert summary(
        [
            ("b", Licence("License-Expression", "MIT")),
            ("x", Licence()),
            ("a", Licence("License-Expression", "MIT")),
            ("c", Licence("classifier", None, ("OSI Approved :: BSD License",))),
        ]
    ) == [
        ("MIT", ("a", "b")),
        ("OSI Approved :: BSD License (classifier)", ("c",)),
        ("unknown", ("x",)),
    ]


# --------------------------------------------------------------------------------------------
# bundle


def test_bundle_prints_the_licence_summary_after_its_size_table(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(
        cmd(index_server, "bundle", "app", "-o", str(tmp_path / "f.zip"), *PRESET), capsys
    )
    assert (status, err) == (0, "")
    lines = out.splitlines()
    start = lines.index("licences (as each project declares it):")
    assert lines[start - 1].startswith("limits of aws-lambda")
    prose = "'Copyright (c) The Prose Authors...' (License field)"
    assert lines[start:] == [
        "licences (as each project declares it):",
        f"  {prose}  prose",
        f"  {'BSD-3-Clause (License field)':<{len(prose)}}  classic",
        f"  {'MIT':<{len(prose)}}  app",
        f"  {'OSI Approved :: BSD License (classifier)':<{len(prose)}}  helper",
        f"  {'unknown':<{len(prose)}}  mystery",
        f"Wrote {tmp_path / 'f.zip'} (" + lines[-1].split(" (", 1)[1],
    ]


def test_bundle_writes_a_valid_cyclonedx_sbom_of_what_it_delivers(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.project_status["classic"] = ("archived", None)
    out_zip, out_sbom = tmp_path / "f.zip", tmp_path / "f.cdx.json"
    args = cmd(
        index_server, "bundle", "app", "-o", str(out_zip), "--layer", "--sbom", str(out_sbom),
        "-q", *PRESET,
    )  # fmt: skip
    status, _, err = run(args, capsys)
    assert status == 0
    assert err == (
        f"warning: classic 1.0 is archived on {index_server.url}: its maintainers expect no "
        "further releases (PEP 792)\n"
    )
    sbom = json.loads(out_sbom.read_text())
    validate(sbom)
    assert sbom["specVersion"] == "1.6"
    assert sbom["serialNumber"].startswith("urn:uuid:")
    assert "timestamp" not in sbom["metadata"]
    subject = sbom["metadata"]["component"]
    assert (subject["name"], subject["type"]) == ("f.zip", "application")
    assert props(subject)["tagpip:target"] == TARGET_T
    assert props(subject)["tagpip:target:python_version"] == "3.12"
    assert props(subject)["tagpip:target:platform_machine"] == "x86_64"
    components = by_name(sbom)
    assert sorted(components) == ["app", "classic", "helper", "mystery", "prose"]
    root = Path(index_server.root)
    for name, component in components.items():
        wheel = root / f"{name}-{component['version']}-py3-none-any.whl"
        assert component["purl"] == f"pkg:pypi/{name}@{component['version']}?" + (
            f"file_name={wheel.name}&repository_url="
            + index_server.url.replace(":", "%3A").replace("/", "%2F")
        )
        assert component["hashes"] == [{"alg": "SHA-256", "content": sha256(wheel)}]
        distribution = component["externalReferences"][0]
        assert distribution == {
            "type": "distribution",
            "url": index_server.file_url(wheel.name),
            "hashes": component["hashes"],
        }
    assert components["app"]["licenses"] == [{"expression": "MIT", "acknowledgement": "declared"}]
    assert components["helper"]["licenses"] == [
        {"license": {"name": "OSI Approved :: BSD License", "acknowledgement": "declared"}}
    ]
    assert components["classic"]["licenses"] == [
        {"expression": "BSD-3-Clause", "acknowledgement": "declared"}
    ]
    assert "licenses" not in components["mystery"]
    assert props(components["mystery"])["tagpip:licence-source"] == "none"
    assert props(components["classic"])["tagpip:project-status"] == "archived"
    assert props(components["app"])["tagpip:project-status"] == "active"
    assert props(components["app"])["tagpip:index"] == index_server.url
    # The SBOM the helper wheel carries is kept in the bundle and referenced, with its hash.
    embedded = "python/helper-2.0.dist-info/sboms/auditwheel.cdx.json"
    with zipfile.ZipFile(out_zip) as archive:
        assert archive.read(embedded).decode() == EMBEDDED
    assert components["helper"]["externalReferences"][1] == {
        "type": "bom",
        "url": embedded,
        "comment": "an SBOM the wheel carries (PEP 770), kept in the delivery",
        "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(EMBEDDED.encode()).hexdigest()}],
    }
    # The graph as resolved: the delivery needs app, app needs three, helper needs prose.
    refs = {c["bom-ref"]: name for name, c in components.items()}
    graph = {
        refs.get(d["ref"], d["ref"]): sorted(refs[r] for r in d["dependsOn"])
        for d in sbom["dependencies"]
    }
    assert graph == {
        "tagpip-delivery": ["app"],
        "app": ["classic", "helper", "mystery"],
        "helper": ["prose"],
        "classic": [],
        "mystery": [],
        "prose": [],
    }


def test_the_same_delivery_gives_the_same_sbom_byte_for_byte(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    out_zip, out_sbom = tmp_path / "f.zip", tmp_path / "f.cdx.json"
    args = cmd(
        index_server, "bundle", "app", "-o", str(out_zip), "--sbom", str(out_sbom), "-q", *PRESET
    )
    assert run(args, capsys)[0] == 0
    first = out_sbom.read_bytes()
    out_zip.unlink()
    assert run(args, capsys)[0] == 0
    assert out_sbom.read_bytes() == first


def test_source_date_epoch_gives_the_sbom_its_timestamp(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index_server.add_wheel("mystery", "1.0")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sbom_path = tmp_path / "s.json"
    args = ["-o", str(tmp_path / "f.zip"), "--sbom", str(sbom_path), "-q", *PRESET]
    assert run(cmd(index_server, "bundle", "mystery", *args), capsys)[0] == 0
    sbom = json.loads(sbom_path.read_text())
    validate(sbom)
    assert sbom["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"


def test_deny_license_fails_the_bundle_naming_the_project_and_writes_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.add_wheel(
        "app", "2.0", license_expression="MIT", requires_dist=["copyleft", "dual"]
    )
    index_server.add_wheel("copyleft", "1.0", license_expression="MIT AND GPL-3.0-only")
    index_server.add_wheel("dual", "1.0", license_expression="MIT OR GPL-3.0-only")
    args = cmd(
        index_server, "bundle", "app", "-o", str(tmp_path / "f.zip"),
        "--sbom", str(tmp_path / "s.json"), "--deny-license", "GPL-*,AGPL-*", *PRESET,
    )  # fmt: skip
    status, out, err = run(args, capsys)
    assert (status, out) == (1, "")
    assert err == (
        "error: --deny-license GPL-*,AGPL-*: these projects' licences are denied:\n"
        "  copyleft: MIT AND GPL-3.0-only, which requires GPL-3.0-only\n"
        "hint: replace them, or take their licence off --deny-license; nothing was written\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index-root"]


def test_deny_license_passes_and_warns_about_what_it_cannot_judge(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = cmd(
        index_server, "bundle", "app", "-o", str(tmp_path / "f.zip"), "-q",
        "--deny-license", "GPL-3.0-only", *PRESET,
    )  # fmt: skip
    status, _, err = run(args, capsys)
    assert status == 0
    assert err == (
        "warning: mystery declares no licence, which tagpip cannot read as SPDX licences: "
        "--deny-license cannot tell whether it is denied\n"
        "warning: prose declares 'Copyright (c) The Prose Authors...' (License field), which "
        "tagpip cannot read as SPDX licences: --deny-license cannot tell whether it is denied\n"
    )


def test_deny_license_refuses_what_is_not_an_identifier(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["-o", str(tmp_path / "f.zip"), "--deny-license", "GPL-3.0 OR MIT", *PRESET]
    status, _, err = run(cmd(index_server, "bundle", "app", *args), capsys)
    assert status == 2
    assert err.startswith("error: --deny-license: 'GPL-3.0 OR MIT' is not an SPDX licence")


def test_an_sbom_path_in_a_missing_folder_is_refused_before_anything_runs(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    missing = tmp_path / "no" / "s.json"
    for command in (
        ["bundle", "app", "-o", str(tmp_path / "f.zip")],
        ["install", "app", "-t", str(tmp_path / "t")],
        ["lock", "app"],
    ):
        status, _, err = run(cmd(index_server, *command, "--sbom", str(missing), *PRESET), capsys)
        assert status == 2
        assert err == f"error: --sbom {missing}: {missing.parent} does not exist\n"
    assert index_server.paths() == []


# --------------------------------------------------------------------------------------------
# install --target and lock


def test_install_target_writes_the_sbom_of_the_folder(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    folder, sbom_path = tmp_path / "deps", tmp_path / "deps.cdx.json"
    args = cmd(index_server, "install", "app", "-t", str(folder), "--sbom", str(sbom_path), "-q")
    assert run([*args, *PRESET], capsys)[0] == 0
    sbom = json.loads(sbom_path.read_text())
    validate(sbom)
    assert sbom["metadata"]["component"]["name"] == "deps"
    helper = by_name(sbom)["helper"]
    embedded = "helper-2.0.dist-info/sboms/auditwheel.cdx.json"
    assert (folder / embedded).read_text() == EMBEDDED
    assert helper["externalReferences"][1]["url"] == embedded
    assert sorted(by_name(sbom)) == ["app", "classic", "helper", "mystery", "prose"]


@pytest.mark.parametrize("lock_name", ["requirements.lock", "pylock.toml"])
def test_from_a_lock_the_graph_comes_from_metadata_and_the_status_from_the_lock(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], lock_name: str
) -> None:
    seed(index_server)
    index_server.add_wheel("extra-dep", "1.0")
    index_server.add_wheel(
        "app", "1.1", license_expression="MIT",
        requires_dist=["helper[fast]", 'old; python_version < "3.8"'],
    )  # fmt: skip
    index_server.add_wheel(
        "helper", "2.1", requires_dist=['extra-dep; extra == "fast"'], provides_extra=["fast"]
    )
    index_server.project_status["helper"] = ("deprecated", "use helper2")
    lock = tmp_path / lock_name
    assert run(cmd(index_server, "lock", "app", "-o", str(lock), "-q", *PRESET), capsys)[0] == 0
    index_server.project_status.clear()
    sbom_path = tmp_path / "s.json"
    args = ["-r", str(lock), "-t", str(tmp_path / "t"), "--sbom", str(sbom_path), "-q", *PRESET]
    status, _, _ = run(cmd(index_server, "install", *args), capsys)
    assert status == 0
    sbom = json.loads(sbom_path.read_text())
    validate(sbom)
    components = by_name(sbom)
    refs = {c["bom-ref"]: name for name, c in components.items()}
    graph = {
        refs.get(d["ref"], d["ref"]): sorted(refs[r] for r in d["dependsOn"])
        for d in sbom["dependencies"]
    }
    assert graph == {
        "tagpip-delivery": ["app"],
        "app": ["helper"],
        "helper": ["extra-dep"],
        "extra-dep": [],
    }
    assert props(components["helper"])["tagpip:project-status"] == "deprecated"
    assert props(components["helper"])["tagpip:project-status-reason"] == "use helper2"


def test_lock_writes_the_sbom_of_the_locked_files(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock, sbom_path = tmp_path / "pylock.toml", tmp_path / "s.json"
    args = ["-o", str(lock), "--sbom", str(sbom_path), "-q", *PRESET]
    assert run(cmd(index_server, "lock", "app", *args), capsys)[0] == 0
    sbom = json.loads(sbom_path.read_text())
    validate(sbom)
    assert sbom["metadata"]["component"]["name"] == "pylock.toml"
    components = by_name(sbom)
    assert sorted(components) == ["app", "classic", "helper", "mystery", "prose"]
    wheel = Path(index_server.root) / "helper-2.0-py3-none-any.whl"
    assert components["helper"]["hashes"] == [{"alg": "SHA-256", "content": sha256(wheel)}]
    # A lock delivers no wheel yet: the SBOMs wheels carry are not read (docs/provenance.md).
    assert [r["type"] for r in components["helper"]["externalReferences"]] == ["distribution"]


def test_lock_refuses_one_sbom_for_several_targets(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = [
        "--preset", "aws-lambda-python3.12-x86_64", "--preset", "aws-lambda-python3.12-arm64",
        "--sbom", str(tmp_path / "s.json"),
    ]  # fmt: skip
    status, _, err = run(cmd(index_server, "lock", "app", *args), capsys)
    assert status == 2
    assert err.startswith(
        "error: --sbom describes one delivery, for one target; this lock has 2 targets\n"
    )


def test_a_purl_says_where_the_file_came_from_unless_it_is_pypi() -> None:
    from packaging.version import Version

    from tagpip.provenance.sbom import purl

    wheel = "Demo_Pkg-1.0+cpu-py3-none-any.whl"
    pypi = "https://pypi.org/simple/"
    assert purl("Demo_Pkg", Version("1.0+cpu"), wheel, pypi) == (
        "pkg:pypi/demo-pkg@1.0%2Bcpu?file_name=Demo_Pkg-1.0%2Bcpu-py3-none-any.whl"
    )
    assert purl("demo", Version("1"), "demo-1-py3-none-any.whl", "https://in.example/simple/") == (
        "pkg:pypi/demo@1?file_name=demo-1-py3-none-any.whl"
        "&repository_url=https%3A%2F%2Fin.example%2Fsimple%2F"
    )
    direct = "https://files.example/demo-1-py3-none-any.whl"
    assert purl("demo", Version("1"), "demo-1-py3-none-any.whl", None, direct) == (
        "pkg:pypi/demo@1?download_url=https%3A%2F%2Ffiles.example%2Fdemo-1-py3-none-any.whl"
        "&file_name=demo-1-py3-none-any.whl"
    )
    assert purl("demo", Version("1"), "demo-1-py3-none-any.whl") == (
        "pkg:pypi/demo@1?file_name=demo-1-py3-none-any.whl"
    )
