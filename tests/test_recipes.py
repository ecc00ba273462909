"""The deployment recipes of docs/recipes run as written, with the real tools users build with.

Each test runs one page the way tests/test_docs.py runs pages (its blocks in order, in a scratch
folder, against the test index on 127.0.0.1 serving tests/support/docs_catalog.py), and also
runs the blocks that name the test in their ``covered-by`` marker: the ones that need the real
tool (``sam build``, ``cdk synth``, ``serverless package``, ``pex``). A test whose tool is not
installed skips. tests/support/recipe_tools.sh installs every tool, at the versions the pages
name, into a folder; ``TAGPIP_RECIPE_TOOLS`` points the tests at it (else they look on PATH).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from support.docs_catalog import populate
from support.server import IndexServer
from tagpip.target import target_from_file, target_from_python
from test_docs import DOCS, Sandbox, blocks_of, run_block

# PyYAML ships no type information (mkdocs brings it): used through Any.
yaml: Any = importlib.import_module("yaml")

TOOLS_ENV = "TAGPIP_RECIPE_TOOLS"
# The tools never phone home from a test: no telemetry, no update checks, no notices.
QUIET_TOOLS = {
    "SAM_CLI_TELEMETRY": "0",
    "SAM_CLI_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "CDK_DISABLE_VERSION_CHECK": "true",
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
    "SLS_DEPRECATION_DISABLE": "*",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
}


def tool(name: str) -> Path | None:
    """The tool ``name``: in ``$TAGPIP_RECIPE_TOOLS/bin`` when set, else on PATH."""
    root = os.environ.get(TOOLS_ENV)
    if root and (Path(root) / "bin" / name).exists():
        return Path(root) / "bin" / name
    found = shutil.which(name)
    return Path(found) if found else None


def need(name: str) -> Path:
    found = tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed (tests/support/recipe_tools.sh installs it)")
    return found


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(tmp_path / "index") as server:
        populate(server)
        yield server


def run_page(page: str, test: str, box: Sandbox) -> None:
    """Run every block of ``page`` in order, the blocks covered by ``test`` included."""
    name = f"tests/test_recipes.py::{test}"
    ran = 0
    for block in blocks_of(page):
        if (
            block.kind == "covered-by"
            and block.words[0] == name
            and block.lang in ("sh", "console")
        ):
            block = replace(block, marker="hermetic")
            ran += 1
        run_block(block, box, "hermetic")
    assert ran, f"docs/{page} has no sh or console block covered by {name}"


def sandbox(tmp_path: Path, server: IndexServer | None, *tools: Path) -> Sandbox:
    """A page's sandbox with the tools' folders first on PATH."""
    box = Sandbox(tmp_path / "work", server)
    folders = list(dict.fromkeys(str(t.parent) for t in tools))
    box.env["PATH"] = os.pathsep.join([*folders, box.env["PATH"]])
    box.env.update(QUIET_TOOLS)
    return box


def wheel_tags(folder: Path) -> dict[str, list[str]]:
    """Each installed distribution's WHEEL tags, by its dist-info folder's name."""
    return {
        wheel.parent.name: sorted(
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        )
        for wheel in sorted(folder.glob("*.dist-info/WHEEL"))
    }


# -- AWS SAM ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sam_build_runs_tagpip_for_each_function_and_layer(
    index: IndexServer, tmp_path: Path
) -> None:
    sam = need("sam")
    box = sandbox(tmp_path, index, sam)
    run_page("recipes/aws-sam.md", "test_sam_build_runs_tagpip_for_each_function_and_layer", box)
    built = box.folder / ".aws-sam" / "build"
    x86 = wheel_tags(built / "HelloX86")
    arm = wheel_tags(built / "HelloArm")
    layer = wheel_tags(built / "DepsLayer" / "python")
    assert all(t.endswith("_x86_64") for tags in x86.values() for t in tags), x86
    assert all(t.endswith("_aarch64") for tags in arm.values() for t in tags), arm
    assert sorted(layer) == ["polars-2.1.0.dist-info", "polars_runtime_32-2.1.0.dist-info"]
    assert layer["polars_runtime_32-2.1.0.dist-info"][0].endswith("_aarch64")
    for function in ("HelloX86", "HelloArm"):
        assert (built / function / "app.py").is_file()  # the function's own code came along
    # SAM's built template points at what tagpip wrote.
    assert "HelloX86" in (built / "template.yaml").read_text()


def _sam_project(folder: Path, *, makefile: bool) -> None:
    """The SAM recipe's data functions on python3.11, x86_64 and arm64, with or without the
    Makefile build method."""
    metadata = "    Metadata:\n      BuildMethod: makefile\n" if makefile else ""
    resources = "".join(
        f"  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        f"      Architectures: [{arch}]\n{metadata}"
        for name, arch in (("HelloX86", "x86_64"), ("HelloArm", "arm64"))
    )
    (folder / "hello").mkdir(parents=True)
    (folder / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n"
        "    Runtime: python3.11\n    Handler: app.handler\n    CodeUri: hello/\n"
        f"Resources:\n{resources}"
    )
    (folder / "hello" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (folder / "hello" / "requirements.txt").write_text("polars\nduckdb\norjson\n")


def _sam_build(box: Sandbox) -> subprocess.CompletedProcess[str]:
    return box.run("sam build", timeout=600)


@pytest.mark.slow
def test_sam_own_builder_fails_where_tagpip_succeeds(index: IndexServer, tmp_path: Path) -> None:
    """The page's claim, on the test index: SAM's own Python builder (manylinux2014 only for
    python3.11) stops on duckdb, whose newest wheels need glibc 2.26 and 2.27; the same
    template with the Makefile build method and tagpip builds."""
    sam = need("sam")
    if shutil.which("python3.11", path="/usr/bin:/bin:" + os.environ.get("PATH", "")) is None:
        pytest.skip("SAM's Python builder needs a python3.11 for the python3.11 runtime")
    own = sandbox(tmp_path / "own", index, sam)
    _sam_project(own.folder, makefile=False)
    result = _sam_build(own)
    assert result.returncode != 0
    assert "Error: PythonPipBuilder:ResolveDependencies - {duckdb==2.0.1(wheel)}" in result.stdout

    ours = sandbox(tmp_path / "ours", index, sam)
    _sam_project(ours.folder, makefile=True)
    made = ours.run("tagpip sam makefile -q")
    assert made.returncode == 0, made.stdout
    result = _sam_build(ours)
    assert result.returncode == 0, result.stdout
    built = ours.folder / ".aws-sam" / "build"
    assert "duckdb-1.5.6.dist-info" in wheel_tags(built / "HelloX86")
    assert "duckdb-2.0.1.dist-info" in wheel_tags(built / "HelloArm")


@pytest.mark.pypi
@pytest.mark.slow
def test_sam_build_against_pypi(tmp_path: Path) -> None:
    """The page's numbers on the live PyPI: SAM's builder fails on polars, duckdb and orjson
    for python3.11 on arm64; tagpip's Makefiles build both architectures."""
    sam = need("sam")
    own = sandbox(tmp_path / "own", None, sam)
    _sam_project(own.folder, makefile=False)
    result = _sam_build(own)
    assert "Error: PythonPipBuilder:ResolveDependencies - {duckdb==" in result.stdout

    ours = sandbox(tmp_path / "ours", None, sam)
    _sam_project(ours.folder, makefile=True)
    assert ours.run("tagpip sam makefile -q").returncode == 0
    result = _sam_build(ours)
    assert result.returncode == 0, result.stdout
    built = ours.folder / ".aws-sam" / "build"
    for function, machine in (("HelloX86", "x86_64"), ("HelloArm", "aarch64")):
        tags = wheel_tags(built / function)
        assert {name.split("-")[0] for name in tags} >= {"duckdb", "orjson", "polars"}
        compiled = [t for ts in tags.values() for t in ts if not t.endswith("-any")]
        assert compiled
        assert all(t.endswith(f"_{machine}") for t in compiled), tags
        # Amazon Linux 2 has glibc 2.26: each wheel must have a tag that loads there.
        for name, wheel in tags.items():
            levels = [_glibc(t) for t in wheel if not t.endswith("-any")]
            assert not levels or min(levels) <= 26, (name, wheel)


def _glibc(tag: str) -> int:
    """The glibc minor version a manylinux tag needs (17 for manylinux2014)."""
    platform = tag.split("-")[2]
    if platform.startswith("manylinux2014"):
        return 17
    return int(platform.split("_")[2])


# -- AWS CDK ------------------------------------------------------------------------------------


def _cdk_python() -> Path:
    """The bin folder of a Python that has aws-cdk-lib: ``$TAGPIP_RECIPE_TOOLS/cdk-python``, or
    the one on PATH."""
    root = os.environ.get(TOOLS_ENV)
    candidates = [Path(root) / "cdk-python" / "bin" / "python3"] if root else []
    found = shutil.which("python3")
    candidates += [Path(found)] if found else []
    for python in candidates:
        if (
            python.exists()
            and subprocess.run(
                [str(python), "-c", "import aws_cdk, constructs"], capture_output=True, check=False
            ).returncode
            == 0
        ):
            return python
    pytest.skip("no Python with aws-cdk-lib (tests/support/recipe_tools.sh installs one)")


@pytest.mark.slow
def test_cdk_synth_bundles_each_function_with_tagpip(index: IndexServer, tmp_path: Path) -> None:
    cdk = need("cdk")
    python = _cdk_python()
    box = sandbox(tmp_path, index, python, cdk)
    run_page("recipes/aws-cdk.md", "test_cdk_synth_bundles_each_function_with_tagpip", box)
    template = _json(box.folder / "cdk.out" / "Hello.template.json")
    assert isinstance(template, dict)
    assets = {}
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
            path = resource["Metadata"]["aws:asset:path"]
            machine = (
                "aarch64"
                if "arm64"
                in resource["Properties"].get(
                    "Architectures", resource["Properties"].get("CompatibleArchitectures", [])
                )
                else "x86_64"
            )
            assets[path] = machine
    assert len(assets) == 3  # one asset per function and target, and the layer's
    for path, machine in assets.items():
        folder = box.folder / "cdk.out" / path
        tags = wheel_tags(folder / "python" if (folder / "python").is_dir() else folder)
        compiled = [t for ts in tags.values() for t in ts if not t.endswith("-any")]
        assert compiled, path
        assert all(t.endswith(f"_{machine}") for t in compiled), (path, tags)


# -- Serverless Framework -----------------------------------------------------------------------


@pytest.mark.slow
def test_serverless_package_takes_tagpips_zips(index: IndexServer, tmp_path: Path) -> None:
    serverless = need("serverless")
    box = sandbox(tmp_path, index, serverless)
    run_page("recipes/serverless.md", "test_serverless_package_takes_tagpips_zips", box)
    state = _json(box.folder / ".serverless" / "serverless-state.json")
    assert isinstance(state, dict)
    template = state["service"]["provider"]["compiledCloudFormationTemplate"]["Resources"]
    found = {}
    for name, resource in template.items():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::Lambda::Function":
            found[name] = (properties["Architectures"], properties["Code"]["S3Key"])
        elif resource["Type"] == "AWS::Lambda::LayerVersion":
            found[name] = (properties["CompatibleArchitectures"], properties["Content"]["S3Key"])
    assert {name: (arch, key.rsplit("/", 1)[1]) for name, (arch, key) in found.items()} == {
        "HelloLambdaFunction": (["x86_64"], "hello-x86_64.zip"),
        "HelloArmLambdaFunction": (["arm64"], "hello-arm64.zip"),
    }
    for zip_name, machine in (("hello-x86_64", "x86_64"), ("hello-arm64", "aarch64")):
        names = _zip_names(box.folder / "build" / f"{zip_name}.zip")
        assert "handler.py" in names
        with zipfile.ZipFile(box.folder / "build" / f"{zip_name}.zip") as archive:
            wheel = archive.read("orjson-3.13.0.dist-info/WHEEL").decode()
        assert f"manylinux_2_17_{machine}" in wheel


# -- CI pipelines (validated, not run) ----------------------------------------------------------


def _covered_yaml(page: str, test: str) -> str:
    (block,) = [
        b
        for b in blocks_of(page)
        if b.kind == "covered-by" and b.words[0] == f"tests/test_recipes.py::{test}"
    ]
    assert block.lang == "yaml"
    return block.body


def _expand(line: str, variables: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced as the shell would, for the names the pipeline sets."""
    return re.sub(
        r"\$\{?(\w+)\}?",
        lambda m: variables.get(m[1], m[0]),
        line,
    )


def _tagpip_commands(scripts: list[str], variables: dict[str, str]) -> list[list[str]]:
    """The words after ``tagpip`` of every tagpip command line in the scripts."""
    found = []
    for script in scripts:
        for line in script.splitlines():
            words = shlex.split(_expand(line.strip(), variables))
            if words and words[0] == "tagpip":
                found.append(words[1:])
    return found


def _assert_tagpip_accepts(commands: list[list[str]]) -> None:
    """Each command is one tagpip's own parser accepts."""
    from tagpip.cli import build_parser

    assert commands
    for words in commands:
        try:
            build_parser().parse_args(words)
        except SystemExit:
            pytest.fail(f"tagpip refuses the pipeline's command: tagpip {shlex.join(words)}")


def _schema_check(text: str, schema: str, tmp_path: Path) -> None:
    checker = tool("check-jsonschema")
    if checker is None:
        return  # the loader and the command checks above still ran
    path = tmp_path / "pipeline.yml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cache_dir(monkeypatch: pytest.MonkeyPatch, xdg: str | None) -> str:
    from tagpip.config.pip import load_index_options

    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    return str(load_index_options("download", {}).cache_dir)


def test_the_github_actions_workflow_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _covered_yaml("recipes/ci.md", "test_the_github_actions_workflow_is_valid")
    workflow = yaml.safe_load(text)
    jobs = workflow["jobs"]
    assert list(jobs) == ["lock", "bundle", "deploy"]
    steps = [step for job in jobs.values() for step in job["steps"]]
    caches = [s["with"] for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert len(caches) == 2
    monkeypatch.setenv("HOME", "/home/runner")
    assert {c["path"] for c in caches} == {"~/.cache/tagpip"}
    assert _cache_dir(monkeypatch, None) == "/home/runner/.cache/tagpip"
    scripts = [s["run"] for s in steps if "run" in s]
    commands = []
    for arch in [m["arch"] for m in jobs["bundle"]["strategy"]["matrix"]["include"]]:
        variables = {
            k: v.replace("${{ matrix.arch }}", arch)
            for k, v in {**workflow["env"], **jobs["bundle"]["env"]}.items()
        }
        commands += _tagpip_commands(scripts, variables)
    assert {c[0] for c in commands} == {"lock", "bundle", "verify"}
    _assert_tagpip_accepts(commands)
    _schema_check(text, "vendor.github-workflows", tmp_path)


def test_the_gitlab_ci_pipeline_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _covered_yaml("recipes/ci.md", "test_the_gitlab_ci_pipeline_is_valid")
    pipeline = yaml.safe_load(text)
    assert pipeline["stages"] == ["lock", "bundle", "verify", "deploy"]
    variables = dict(pipeline["variables"])
    assert pipeline["default"]["cache"]["paths"] == [".cache/tagpip"]
    assert _cache_dir(monkeypatch, "/builds/app/.cache") == "/builds/app/.cache/tagpip"
    assert variables["XDG_CACHE_HOME"] == "$CI_PROJECT_DIR/.cache"
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "stage" in job}
    assert list(jobs) == ["lock", "bundle", "verify", "deploy"]
    commands = []
    for arch in jobs["bundle"]["parallel"]["matrix"][0]["ARCH"]:
        scripts = [line for job in jobs.values() for line in job["script"]]
        commands += _tagpip_commands(scripts, {**variables, "ARCH": arch})
    assert {c[0] for c in commands} == {"lock", "bundle", "verify"}
    _assert_tagpip_accepts(commands)
    _schema_check(text, "vendor.gitlab-ci", tmp_path)


# -- pex ----------------------------------------------------------------------------------------


def _pex_wheels(path: Path) -> list[str]:
    """The wheels a PEX file carries (its ``.deps/NAME.whl/`` folders)."""
    return sorted(
        {name.split("/")[1] for name in _zip_names(path) if name.startswith(".deps/")} - {""}
    )


@pytest.mark.slow
def test_pex_builds_with_the_platform_tagpip_wrote(index: IndexServer, tmp_path: Path) -> None:
    pex = need("pex")
    box = sandbox(tmp_path, index, pex)
    page = "recipes/pex.md"
    name = "tests/test_recipes.py::test_pex_builds_with_the_platform_tagpip_wrote"
    for block in blocks_of(page):
        if block.kind == "covered-by" and block.words[0] == name:
            command = block.body.strip()
            assert command.startswith("pex ")
            # pex takes its index from its own options, not PIP_INDEX_URL; its pip (20.3.4)
            # reads only text/html pages, which the test index's find-links page is.
            command += f" --no-pypi --find-links {index.links_url} --pex-root ../pex-root"
            result = box.run(command, timeout=600)
            assert result.returncode == 0, result.stdout
        else:
            run_block(block, box, "hermetic")
    download = box.run(
        "tagpip download -r requirements.txt -d chosen --preset aws-lambda-python3.11-x86_64 -q"
    )
    assert download.returncode == 0, download.stdout
    chosen = sorted(p.name for p in (box.folder / "chosen").iterdir())
    assert _pex_wheels(box.folder / "app.pex") == chosen
    assert "duckdb-1.5.6-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl" in chosen


def test_a_pex_platform_written_by_tagpip_reads_back_as_the_same_target() -> None:
    from tagpip.target.facts import pex_platform, read_pex_platform
    from tagpip.target.presets import preset
    from tagpip.target.value import Target

    for name in ("aws-lambda-python3.9-x86_64", "aws-lambda-python3.13-arm64"):
        target = preset(name)
        written = pex_platform(target)
        assert list(written) == ["marker_environment", "compatible_tags"]
        back = read_pex_platform(json.loads(json.dumps(written)), "a pex platform")
        assert back.tags == target.tags
        assert back.marker_environment == target.marker_environment
        assert back.python_version == target.python_version
        assert isinstance(back, Target)


@pytest.mark.slow
def test_pex_and_tagpip_capture_the_same_interpreter(tmp_path: Path) -> None:
    """pex's complete platform of a real interpreter, read by --target-file, is the target
    tagpip captures from that interpreter itself: the same tags (packaging 26.3 moved the
    generic ``linux_<arch>`` tag first, pex's inspection lists it last) and the same markers."""

    pex3 = need("pex3")
    python = Path(sys.executable).resolve()
    platform = tmp_path / "platform.json"
    result = subprocess.run(
        [str(pex3), "interpreter", "inspect", "--markers", "--tags", "--python", str(python)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PEX_ROOT": str(tmp_path / "pex-root")},
    )
    assert result.returncode == 0, result.stderr
    platform.write_text(result.stdout)
    from_pex = target_from_file(platform)
    own = target_from_python(str(python))
    assert set(from_pex.tags) == set(own.tags)
    linux = [t for t in own.tags if t.platform.startswith("linux_")]
    assert [t for t in own.tags if t not in linux] == [t for t in from_pex.tags if t not in linux]
    assert from_pex.marker_environment == own.marker_environment


def test_the_recipe_pages_name_their_tests() -> None:
    """Every covered-by marker of these pages that names this file names a test in it."""
    source = Path(__file__).read_text(encoding="utf-8")
    for page in sorted(p.relative_to(DOCS).as_posix() for p in (DOCS / "recipes").glob("*.md")):
        for block in blocks_of(page):
            if block.kind == "covered-by" and block.words[0].startswith("tests/test_recipes.py"):
                name = block.words[0].split("::")[1]
                assert f"def {name}(" in source, block.where()


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))
