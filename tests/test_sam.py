"""`tagpip sam`: what a SAM template asks of tagpip, and the Makefile blocks that carry it out.

The real `sam build` runs these Makefiles in tests/test_recipes.py; here, the decisions (which
resource, which preset, which Makefile), the block kept apart from the user's own lines, and
every way a template or Makefile can be wrong, each with its message.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagpip.cli import main
from tagpip.sam.template import (
    Build,
    Makefile,
    SamError,
    check_makefiles,
    find_template,
    plan,
    write_makefiles,
)

FUNCTION = "AWS::Serverless::Function"


def project(tmp_path: Path, template: str, *folders: str) -> Path:
    """A template in ``tmp_path`` and a code folder with a requirements file for each name."""
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "requirements.txt").write_text("orjson\n")
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(template))
    return path


TWO_FUNCTIONS = """\
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.12
        CodeUri: fn/
    Resources:
      Intel:
        Type: AWS::Serverless::Function
        Metadata: {BuildMethod: makefile}
      Graviton:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.13
          Architectures: [arm64]
          Events:
            Api: {Type: Api, Properties: {Path: !Sub "/${AWS::StackName}", Method: get}}
        Metadata: {BuildMethod: makefile}
      Bucket:
        Type: AWS::S3::Bucket
"""


def test_presets_come_from_runtime_and_architectures_with_globals(tmp_path: Path) -> None:
    found = plan(project(tmp_path, TWO_FUNCTIONS, "fn"))
    assert [(b.logical_id, b.presets, b.folder) for b in found.builds] == [
        ("Intel", ("aws-lambda-python3.12-x86_64",), tmp_path / "fn"),
        ("Graviton", ("aws-lambda-python3.13-arm64",), tmp_path / "fn"),
    ]
    assert found.notes == ()
    (makefile,) = found.makefiles()
    assert makefile.path == tmp_path / "fn" / "Makefile"
    assert makefile.block() == (
        "# >>> tagpip sam: generated from template.yaml; `tagpip sam makefile` rewrites this "
        "block\n"
        "TAGPIP ?= tagpip\n"
        "\n"
        "build-Intel:\n"
        "\t$(TAGPIP) bundle -r requirements.txt --preset aws-lambda-python3.12-x86_64 --dir -o "
        '"$(ARTIFACTS_DIR)" --add ./\n'
        "\n"
        "build-Graviton:\n"
        "\t$(TAGPIP) bundle -r requirements.txt --preset aws-lambda-python3.13-arm64 --dir -o "
        '"$(ARTIFACTS_DIR)" --add ./\n'
        "# <<< tagpip sam\n"
    )


def test_layers_take_their_architecture_from_sam_and_one_folder_per_runtime(
    tmp_path: Path,
) -> None:
    template = """\
        Resources:
          One:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: one/, CompatibleRuntimes: [python3.12]}
            Metadata: {BuildMethod: makefile, BuildArchitecture: arm64}
          Many:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: many
              CompatibleRuntimes: [python3.11, nodejs20.x, python3.12]
              CompatibleArchitectures: [arm64]
            Metadata: {BuildMethod: makefile}
          Both:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: both/
              CompatibleRuntimes: [python3.12]
              CompatibleArchitectures: [x86_64, arm64]
            Metadata: {BuildMethod: makefile}
    """
    found = plan(project(tmp_path, template, "one", "many", "both"))
    assert [(b.logical_id, b.architecture, b.presets) for b in found.builds] == [
        ("One", "arm64", ("aws-lambda-python3.12-arm64",)),
        ("Many", "arm64", ("aws-lambda-python3.11-arm64", "aws-lambda-python3.12-arm64")),
        ("Both", "x86_64", ("aws-lambda-python3.12-x86_64",)),
    ]
    assert found.builds[0].recipe()[1].endswith('--target "$(ARTIFACTS_DIR)/python"')
    assert [line.split("--target ")[1] for line in found.builds[1].recipe()[1:]] == [
        '"$(ARTIFACTS_DIR)/python/lib/python3.11/site-packages"',
        '"$(ARTIFACTS_DIR)/python/lib/python3.12/site-packages"',
    ]
    assert found.notes == (
        "Both (layer): compatible with x86_64, arm64, but SAM builds it for x86_64 (no Metadata "
        "BuildArchitecture): its compiled wheels load only there",
    )


def test_what_tagpip_leaves_to_sam_is_said_in_notes(tmp_path: Path) -> None:
    template = """\
        Resources:
          Plain:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, CodeUri: fn/}
          Node:
            Type: AWS::Serverless::Function
            Properties: {Runtime: nodejs20.x, CodeUri: fn/}
            Metadata: {BuildMethod: makefile}
          Image:
            Type: AWS::Serverless::Function
            Properties: {PackageType: Image}
            Metadata: {BuildMethod: makefile}
          OnS3:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, CodeUri: "s3://bucket/code.zip"}
            Metadata: {BuildMethod: makefile}
          OldLayer:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: fn/, CompatibleRuntimes: [python3.12]}
            Metadata: {BuildMethod: python3.12}
          Ours:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, CodeUri: fn}
            Metadata: {BuildMethod: MakeFile}
    """
    found = plan(project(tmp_path, template, "fn"))
    assert [b.logical_id for b in found.builds] == ["Ours"]
    assert found.notes == (
        "Plain (python3.12): built by SAM's own Python builder; give it 'Metadata: BuildMethod: "
        "makefile' to build it with tagpip",
        "Node (nodejs20.x): not a Python runtime; its Makefile is yours",
        "OnS3: its CodeUri is on S3, so SAM does not build it",
        "OldLayer (layer, python3.12): built by SAM's own Python builder; give it 'Metadata: "
        "BuildMethod: makefile' to build it with tagpip",
    )


@pytest.mark.parametrize(
    ("properties", "message", "hint"),
    [
        (
            "{Runtime: !Ref PythonRuntime}",
            "template.yaml: Fn: Runtime is !Ref PythonRuntime, which only CloudFormation can "
            "work out",
            "write Runtime as a literal value for tagpip sam to choose the preset",
        ),
        (
            "{Runtime: python3.12, Architectures: [!If [Arm, arm64, x86_64]]}",
            'template.yaml: Fn: Architectures is !If ["Arm", "arm64", "x86_64"], which '
            "only CloudFormation can work out",
            "write Architectures as a literal value for tagpip sam to choose the preset",
        ),
        (
            "{Runtime: python3.8}",
            "template.yaml: Fn: no tagpip preset for the runtime 'python3.8'",
            "tagpip knows python3.10, python3.11, python3.12, python3.13, python3.14, python3.9",
        ),
        (
            "{Runtime: python3.12, Architectures: [amd64]}",
            "template.yaml: Fn: Architectures 'amd64' is not a Lambda architecture",
            "Lambda calls it 'x86_64'",
        ),
        (
            "{Runtime: python3.12, Architectures: [sparc]}",
            "template.yaml: Fn: Architectures 'sparc' is not a Lambda architecture",
            "Lambda runs x86_64 and arm64",
        ),
        (
            "{Runtime: python3.12, Architectures: [arm4]}",
            "template.yaml: Fn: Architectures 'arm4' is not a Lambda architecture",
            "did you mean 'arm64'?",
        ),
        (
            "{Runtime: python3.12, Architectures: [x86_64, arm64]}",
            "template.yaml: Fn: Architectures is ['x86_64', 'arm64']; Lambda takes a list of "
            "one architecture",
            "for example Architectures: [arm64]",
        ),
        (
            "{Runtime: python3.12, CodeUri: nowhere/}",
            "template.yaml: Fn: CodeUri 'nowhere/' is not a folder ({root}/nowhere does not exist)",
            None,
        ),
        (
            "{Runtime: python3.12, CodeUri: empty/}",
            "template.yaml: Fn: {root}/empty/requirements.txt does not exist",
            "write the requirements there, or name the file with --requirements",
        ),
    ],
)
def test_a_value_tagpip_cannot_use_is_an_error_naming_the_resource(
    tmp_path: Path, properties: str, message: str, hint: str | None
) -> None:
    (tmp_path / "empty").mkdir()
    template = f"""\
        Resources:
          Fn:
            Type: {FUNCTION}
            Properties: {properties}
            Metadata: {{BuildMethod: makefile}}
    """
    path = project(tmp_path, template, ".")
    with pytest.raises(SamError) as caught:
        plan(path)
    assert caught.value.message == message.format(root=tmp_path)
    assert caught.value.hint == hint


def test_a_json_template_reads_as_sam_reads_it(tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "requirements.txt").write_text("orjson\n")
    path = tmp_path / "template.json"
    path.write_text(
        '{"Resources": {"Fn": {"Type": "AWS::Serverless::Function",'
        ' "Properties": {"Runtime": "python3.12", "CodeUri": "fn", "Architectures": ["arm64"],'
        ' "Role": {"Fn::GetAtt": ["Role", "Arn"]}}, "Metadata": {"BuildMethod": "makefile"}},'
        ' "Other": {"Type": "AWS::Serverless::Function",'
        ' "Properties": {"Runtime": {"Ref": "Py"}, "CodeUri": "fn"},'
        ' "Metadata": {"BuildMethod": "makefile"}}}}'
    )
    assert find_template(tmp_path) == path
    with pytest.raises(SamError, match=r"Other: Runtime is !Ref Py, which only"):
        plan(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Resources:\n  Fn: [\n",
            "{path}:3:1: not valid YAML: expected the node content, but found '<stream end>'",
        ),
        ("- a list\n", "{path} is not a template: its top level is not a mapping"),
        ("Transform: x\n", "{path} has no Resources"),
        ('{"Resources": ', "{path} is not valid JSON: Expecting value"),
    ],
)
def test_a_file_that_is_not_a_template_says_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    with pytest.raises(SamError) as caught:
        plan(path)
    assert caught.value.message.startswith(message.format(path=path))


def test_no_template_in_the_folder_names_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(SamError) as caught:
        find_template(tmp_path)
    assert caught.value.message == (
        f"no SAM template in {tmp_path} (looked for template.yaml, template.yml, template.json)"
    )


def _makefile(tmp_path: Path) -> Makefile:
    build = Build(
        "Fn",
        "function",
        tmp_path,
        ("python3.12",),
        "arm64",
        ("aws-lambda-python3.12-arm64",),
        "my reqs$.txt",
    )
    return Makefile(tmp_path / "Makefile", "template.yaml", (build,))


def test_the_block_joins_the_users_makefile_and_replaces_only_itself(tmp_path: Path) -> None:
    makefile = _makefile(tmp_path)
    block = makefile.block()
    assert "-r 'my reqs$$.txt' " in block  # quoted for the shell, $ doubled for make
    mine = "test:\n\tpytest\n"
    appended = makefile.merged(mine)
    assert appended == mine + "\n" + block
    assert makefile.merged(appended) == appended
    assert makefile.merged("test:\n\tpytest") == "test:\n\tpytest\n\n" + block
    assert makefile.merged("") == block
    old = appended.replace("arm64", "x86_64") + "\nlint:\n\truff check\n"
    assert makefile.merged(old) == mine + "\n" + block + "\nlint:\n\truff check\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("build-Fn:\n\tcp -r . $(ARTIFACTS_DIR)\n", "build-Fn is already a target outside"),
        ("# >>> tagpip sam: generated\nTAGPIP ?= tagpip\n", "the tagpip block has no end line"),
    ],
)
def test_a_makefile_tagpip_cannot_merge_into_is_left_as_it_is(
    tmp_path: Path, text: str, message: str
) -> None:
    makefile = _makefile(tmp_path)
    with pytest.raises(SamError, match=message):
        makefile.merged(text)


def test_write_then_check_and_a_change_in_the_template_is_seen(tmp_path: Path) -> None:
    path = project(tmp_path, TWO_FUNCTIONS, "fn")
    stale = check_makefiles(plan(path))
    assert [(s.path.name, s.why) for s in stale] == [("Makefile", "does not exist")]
    assert write_makefiles(plan(path)) == [(tmp_path / "fn" / "Makefile", "created")]
    assert write_makefiles(plan(path)) == [(tmp_path / "fn" / "Makefile", "unchanged")]
    assert check_makefiles(plan(path)) == []

    path.write_text(path.read_text().replace("python3.13", "python3.12"))
    (stale_one,) = check_makefiles(plan(path))
    assert stale_one.why == "differs from the template"
    assert [line for line in stale_one.diff if line[:1] in "+-" and line[:3] not in "+++---"] == [
        "-\t$(TAGPIP) bundle -r requirements.txt --preset aws-lambda-python3.13-arm64 --dir -o "
        '"$(ARTIFACTS_DIR)" --add ./',
        "+\t$(TAGPIP) bundle -r requirements.txt --preset aws-lambda-python3.12-arm64 --dir -o "
        '"$(ARTIFACTS_DIR)" --add ./',
    ]
    (tmp_path / "fn" / "Makefile").write_text("all:\n\ttrue\n")
    assert [s.why for s in check_makefiles(plan(path))] == ["has no tagpip block"]


def test_a_clash_in_one_makefile_writes_none(tmp_path: Path) -> None:
    template = TWO_FUNCTIONS.replace("CodeUri: fn/", "CodeUri: a/").replace(
        "Architectures: [arm64]", "Architectures: [arm64]\n          CodeUri: b/"
    )
    path = project(tmp_path, template, "a", "b")
    (tmp_path / "b" / "Makefile").write_text("build-Graviton:\n\ttrue\n")
    with pytest.raises(SamError, match="build-Graviton is already a target"):
        write_makefiles(plan(path))
    assert not (tmp_path / "a" / "Makefile").exists()


def test_the_command_writes_checks_and_exits_1_when_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path, TWO_FUNCTIONS, "fn")
    monkeypatch.chdir(tmp_path)
    assert main(["sam", "check"]) == 1
    assert capsys.readouterr().err == (
        "error: 1 Makefile is not as template.yaml asks\n"
        "hint: run: tagpip sam makefile template.yaml\n"
    )
    assert main(["sam", "makefile"]) == 0
    assert capsys.readouterr().out == (
        "Intel     function  python3.12  x86_64  aws-lambda-python3.12-x86_64  fn/Makefile\n"
        "Graviton  function  python3.13  arm64   aws-lambda-python3.13-arm64   fn/Makefile\n"
        "created fn/Makefile\n"
    )
    assert main(["sam", "check", "template.yaml"]) == 0
    assert capsys.readouterr().out == "1 Makefile match template.yaml\n"
    assert main(["sam", "makefile", "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_a_template_with_nothing_for_tagpip_is_an_error_with_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path, TWO_FUNCTIONS.replace("Metadata: {BuildMethod: makefile}", ""), "fn")
    assert main(["sam", "makefile", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("note: Intel (python3.12): built by SAM's own Python builder")
    assert err.endswith(
        f"error: {path}: no Python function or layer is built with a Makefile\n"
        "hint: give the resource 'Metadata: BuildMethod: makefile' for SAM to run tagpip\n"
    )
