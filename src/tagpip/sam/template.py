"""AWS SAM templates: which functions and layers tagpip builds, and the Makefiles that make it so.

SAM builds a resource whose ``Metadata`` says ``BuildMethod: makefile`` by copying its code
folder (``CodeUri``, or a layer's ``ContentUri``) to a scratch folder and running ``make
build-<LogicalId>`` there with ``ARTIFACTS_DIR`` set to where the built function or layer must
land. SAM's own Python builder takes only manylinux2014 wheels for the runtimes up to python3.11
(glibc 2.17, when Amazon Linux 2 runs 2.26) and cannot fetch for the other architecture without
a container; a Makefile target that runs tagpip with the preset of the function's ``Runtime``
and ``Architectures`` gets the wheels that runtime really loads.

This module reads a template (YAML with CloudFormation's short tags, or JSON), decides the
preset of each such resource, and renders, writes or checks one block in each code folder's
Makefile, between two marker lines, leaving the rest of the file to its owner. Nothing here
prints: what the user should hear comes back as notes.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagpip.errors import TagpipError
from tagpip.fs import write_text_atomically
from tagpip.target import PRESETS

__all__ = [
    "BEGIN",
    "END",
    "TEMPLATE_NAMES",
    "Build",
    "Makefile",
    "Plan",
    "SamError",
    "Stale",
    "check_makefiles",
    "describe",
    "find_template",
    "plan",
    "read_template",
    "write_makefiles",
]

# What `sam build` looks for when no --template is given, in its order.
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
BEGIN = "# >>> tagpip sam: generated from {template}; `tagpip sam makefile` rewrites this block"
END = "# <<< tagpip sam"
_BEGIN_RE = re.compile(r"^# >>> tagpip sam\b.*$", re.M)
_END_RE = re.compile(r"^# <<< tagpip sam[ \t]*$", re.M)
_FUNCTION = "AWS::Serverless::Function"
_LAYER = "AWS::Serverless::LayerVersion"
_ARCHITECTURES = ("x86_64", "arm64")  # Lambda's words; the presets use the same
# Other names of the same machines, which a close-match hint would get wrong (amd64 -> arm64).
_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "x86-64": "x86_64", "aarch64": "arm64"}
_RUNTIME_RE = re.compile(r"^python(\d+\.\d+)$")


class SamError(TagpipError):
    """A template or Makefile tagpip cannot work with; the message names the file and the
    resource."""


@dataclass(frozen=True)
class Intrinsic:
    """A CloudFormation function (``!Ref Arch``, ``{"Fn::Sub": ...}``) where tagpip needs a
    literal value: kept as written so that the error can show it."""

    name: str
    value: Any

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else json.dumps(self.value)
        return f"!{self.name} {shown}"


@dataclass(frozen=True)
class Build:
    """One resource tagpip builds: its Makefile target and the tagpip command lines in it."""

    logical_id: str
    kind: str  # "function" or "layer"
    folder: Path  # the code folder SAM copies and runs make in
    runtimes: tuple[str, ...]  # e.g. ("python3.11",)
    architecture: str  # x86_64 or arm64
    presets: tuple[str, ...]  # one per runtime, in the same order
    requirements: str

    @property
    def makefile(self) -> Path:
        return self.folder / "Makefile"

    def recipe(self) -> list[str]:
        """The Makefile target: a function's folder (its code, as SAM copied it) bundled with
        its wheels into ``ARTIFACTS_DIR``; a layer's wheels installed under ``python/``, or under
        ``python/lib/pythonX.Y/site-packages`` for each runtime when it serves several."""
        requirements = _make_word(self.requirements)
        lines = [f"build-{self.logical_id}:"]
        if self.kind == "function":
            lines.append(
                f"\t$(TAGPIP) bundle -r {requirements} --preset {self.presets[0]} "
                '--dir -o "$(ARTIFACTS_DIR)" --add ./'
            )
            return lines
        for runtime, preset in zip(self.runtimes, self.presets):
            where = "python"
            if len(self.runtimes) > 1:
                where = f"python/lib/{runtime}/site-packages"
            lines.append(
                f"\t$(TAGPIP) install -r {requirements} --preset {preset} "
                f'--target "$(ARTIFACTS_DIR)/{where}"'
            )
        return lines


@dataclass(frozen=True)
class Plan:
    """What a template asks of tagpip: the resources it builds and what it leaves alone."""

    template: Path
    builds: tuple[Build, ...]
    notes: tuple[str, ...] = ()

    def makefiles(self) -> list[Makefile]:
        """One Makefile per code folder, with the targets of every resource built there, in
        the template's order."""
        by_folder: dict[Path, list[Build]] = {}
        for build in self.builds:
            by_folder.setdefault(build.folder, []).append(build)
        return [
            Makefile(folder / "Makefile", self.template.name, tuple(builds))
            for folder, builds in by_folder.items()
        ]


@dataclass(frozen=True)
class Makefile:
    """The tagpip block of one Makefile."""

    path: Path
    template_name: str
    builds: tuple[Build, ...]

    def block(self) -> str:
        """The lines between the markers (the markers included), ending in a newline."""
        lines = [BEGIN.format(template=self.template_name), "TAGPIP ?= tagpip"]
        for build in self.builds:
            lines.append("")
            lines.extend(build.recipe())
        lines.append(END)
        return "\n".join(lines) + "\n"

    def merged(self, existing: str | None) -> str:
        """The whole file with this block in place: a new file is the block alone; an old one
        keeps every line outside the block, and gets the block appended if it had none. A
        target of one of these resources written outside the block would clash with it, so
        that is an error naming the line."""
        block = self.block()
        if existing is None:
            return block
        begin = _BEGIN_RE.search(existing)
        end = _END_RE.search(existing, begin.end()) if begin else None
        if begin and end is None:
            raise SamError(
                f"{self.path}: the tagpip block has no end line ({END!r})",
                hint="remove the block's begin line, or restore its end line, then run again",
            )
        outside = existing if begin is None or end is None else existing[: begin.start()]
        after = "" if begin is None or end is None else existing[end.end() :].lstrip("\n")
        for build in self.builds:
            for text in (outside, after):
                clash = re.search(rf"^build-{build.logical_id}\s*::?(?!=)", text, re.M)
                if clash:
                    raise SamError(
                        f"{self.path}: build-{build.logical_id} is already a target outside "
                        "tagpip's block",
                        hint=f"remove that target (tagpip writes build-{build.logical_id}), or "
                        "build the resource with your own target and without tagpip sam",
                    )
        if begin is None or end is None:
            if not existing.strip():
                return block
            trailing = len(existing) - len(existing.rstrip("\n"))
            return existing + "\n" * max(0, 2 - trailing) + block  # one blank line before
        return outside + block + ("\n" + after if after else "")


@dataclass(frozen=True)
class Stale:
    """A Makefile that does not hold what the template asks for: why, and the difference."""

    path: Path
    why: str
    diff: tuple[str, ...] = field(default_factory=tuple)


def find_template(folder: Path) -> Path:
    """The template ``sam build`` would read in ``folder`` when none is named."""
    for name in TEMPLATE_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise SamError(
        f"no SAM template in {folder} (looked for {', '.join(TEMPLATE_NAMES)})",
        hint="name the template: tagpip sam makefile path/to/template.yaml",
    )


def read_template(path: Path) -> dict[str, Any]:
    """The template as plain data. YAML (CloudFormation's short tags such as ``!Ref`` become
    :class:`Intrinsic` values) or JSON, as SAM reads both; a file that is neither, or whose top
    level is not a mapping, is an error naming the file and, for YAML, the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SamError(f"cannot read the template {path}: {error}") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SamError(f"{path} is not valid JSON: {error}") from None
        data = _json_intrinsics(data)
    else:
        data = _load_yaml(text, path)
    if not isinstance(data, dict):
        raise SamError(f"{path} is not a template: its top level is not a mapping")
    return data


def _load_yaml(text: str, path: Path) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        raise SamError(
            f"reading the YAML template {path} needs PyYAML, which is not installed",
            hint="pip install 'tagpip[sam]' (or PyYAML), or give the template as JSON",
        ) from None

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        """The safe loader, plus CloudFormation's ``!Ref``, ``!Sub``, ``!GetAtt``, ..."""

    def intrinsic(loader: Any, suffix: str, node: Any) -> Intrinsic:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return Intrinsic(suffix, value)

    Loader.add_multi_constructor("!", intrinsic)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SamError(f"{where}: not valid YAML: {problem}") from None


def _json_intrinsics(value: Any) -> Any:
    """JSON templates write functions as one-key objects: ``{"Ref": "Arch"}``."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), *_ = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return Intrinsic(key.removeprefix("Fn::"), inner)
        return {k: _json_intrinsics(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_intrinsics(v) for v in value]
    return value


def plan(template: Path, *, requirements: str = "requirements.txt") -> Plan:
    """Read ``template`` and decide, for each function and layer SAM builds with a Makefile,
    the preset (from ``Runtime`` and ``Architectures``, with the template's ``Globals``) and
    the Makefile target. A Python resource SAM builds itself, and one tagpip cannot build
    (code on S3, a container image), come back as notes; a value tagpip needs that is not a
    literal, an unknown runtime or architecture, or a missing requirements file is an error
    naming the resource."""
    data = read_template(template)
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise SamError(f"{template} has no Resources")
    globals_ = data.get("Globals")
    function_globals = globals_.get("Function") if isinstance(globals_, dict) else None
    if not isinstance(function_globals, dict):
        function_globals = {}
    base = template.parent
    builds: list[Build] = []
    notes: list[str] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        where = f"{template.name}: {logical_id}"
        properties = resource.get("Properties")
        properties = properties if isinstance(properties, dict) else {}
        metadata = resource.get("Metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        method = metadata.get("BuildMethod")
        makefile = isinstance(method, str) and method.lower() == "makefile"
        if kind == _FUNCTION:
            build = _function(
                where,
                str(logical_id),
                properties,
                function_globals,
                base,
                makefile=makefile,
                requirements=requirements,
                notes=notes,
            )
        elif kind == _LAYER:
            build = _layer(
                where,
                str(logical_id),
                properties,
                metadata,
                base,
                makefile=makefile,
                method=method,
                requirements=requirements,
                notes=notes,
            )
        else:
            continue
        if build is not None:
            builds.append(build)
    return Plan(template=template, builds=tuple(builds), notes=tuple(notes))


def _function(
    where: str,
    logical_id: str,
    properties: Mapping[str, Any],
    globals_: Mapping[str, Any],
    base: Path,
    *,
    makefile: bool,
    requirements: str,
    notes: list[str],
) -> Build | None:
    def get(key: str) -> Any:
        return properties[key] if key in properties else globals_.get(key)

    if get("PackageType") == "Image" or "InlineCode" in properties:
        return None  # a container image or inline code: nothing of tagpip's to build
    runtime = get("Runtime")
    if runtime is None:
        return None
    runtime = _literal(runtime, where, "Runtime")
    is_python = runtime.lower().startswith("python")
    if not makefile:
        if is_python:
            notes.append(
                f"{logical_id} ({runtime}): built by SAM's own Python builder; give it "
                "'Metadata: BuildMethod: makefile' to build it with tagpip"
            )
        return None
    if not is_python:
        notes.append(f"{logical_id} ({runtime}): not a Python runtime; its Makefile is yours")
        return None
    architecture = _architecture(get("Architectures"), where, "Architectures")
    folder = _code_folder(get("CodeUri"), base, where, "CodeUri", logical_id, notes)
    if folder is None:
        return None
    preset = _preset(runtime, architecture, where)
    _require_file(folder, requirements, where)
    return Build(logical_id, "function", folder, (runtime,), architecture, (preset,), requirements)


def _layer(
    where: str,
    logical_id: str,
    properties: Mapping[str, Any],
    metadata: Mapping[str, Any],
    base: Path,
    *,
    makefile: bool,
    method: Any,
    requirements: str,
    notes: list[str],
) -> Build | None:
    if not makefile:
        if isinstance(method, str) and method.lower().startswith("python"):
            notes.append(
                f"{logical_id} (layer, {method}): built by SAM's own Python builder; give it "
                "'Metadata: BuildMethod: makefile' to build it with tagpip"
            )
        return None
    listed = properties.get("CompatibleRuntimes")
    if listed is None:
        raise SamError(
            f"{where}: a layer built with a Makefile needs CompatibleRuntimes to say which "
            "Python it is for",
            hint="for example CompatibleRuntimes: [python3.12]",
        )
    if not isinstance(listed, list):
        raise SamError(f"{where}: CompatibleRuntimes is {_shown(listed)}; expected a list")
    runtimes = [_literal(r, where, "CompatibleRuntimes") for r in listed]
    python = [r for r in runtimes if r.lower().startswith("python")]
    if not python:
        notes.append(
            f"{logical_id} (layer, {', '.join(runtimes)}): no Python runtime; its Makefile is yours"
        )
        return None
    build_arch = metadata.get("BuildArchitecture")
    compatible = properties.get("CompatibleArchitectures")
    if build_arch is not None:
        architecture = _architecture([build_arch], where, "Metadata BuildArchitecture")
    elif isinstance(compatible, list) and len(compatible) == 1:
        architecture = _architecture(compatible, where, "CompatibleArchitectures")
    else:
        architecture = "x86_64"  # SAM's default BuildArchitecture
        if isinstance(compatible, list) and len(compatible) > 1:
            notes.append(
                f"{logical_id} (layer): compatible with {', '.join(map(str, compatible))}, but "
                "SAM builds it for x86_64 (no Metadata BuildArchitecture): its compiled "
                "wheels load only there"
            )
    folder = _code_folder(
        properties.get("ContentUri"), base, where, "ContentUri", logical_id, notes
    )
    if folder is None:
        return None
    presets = tuple(_preset(runtime, architecture, where) for runtime in python)
    _require_file(folder, requirements, where)
    return Build(logical_id, "layer", folder, tuple(python), architecture, presets, requirements)


def _shown(value: Any) -> str:
    return str(value) if isinstance(value, Intrinsic) else repr(value)


def _literal(value: Any, where: str, key: str) -> str:
    if isinstance(value, Intrinsic):
        raise SamError(
            f"{where}: {key} is {value}, which only CloudFormation can work out",
            hint=f"write {key} as a literal value for tagpip sam to choose the preset",
        )
    if not isinstance(value, str):
        raise SamError(f"{where}: {key} is {value!r}; expected a string")
    return value


def _architecture(value: Any, where: str, key: str) -> str:
    if value is None:
        return "x86_64"  # Lambda's default
    if not isinstance(value, list) or len(value) != 1:
        raise SamError(
            f"{where}: {key} is {_shown(value)}; Lambda takes a list of one architecture",
            hint="for example Architectures: [arm64]",
        )
    architecture = _literal(value[0], where, key)
    if architecture not in _ARCHITECTURES:
        alias = _ALIASES.get(architecture.lower())
        close = difflib.get_close_matches(architecture, _ARCHITECTURES, n=1)
        if alias:
            hint = f"Lambda calls it {alias!r}"
        elif close:
            hint = f"did you mean {close[0]!r}?"
        else:
            hint = "Lambda runs x86_64 and arm64"
        raise SamError(f"{where}: {key} {architecture!r} is not a Lambda architecture", hint=hint)
    return architecture


def _preset(runtime: str, architecture: str, where: str) -> str:
    match = _RUNTIME_RE.match(runtime)
    name = f"aws-lambda-{runtime}-{architecture}"
    if match is None or name not in PRESETS:
        known = sorted(
            {
                p.removeprefix("aws-lambda-").rsplit("-", 1)[0]
                for p in PRESETS
                if p.startswith("aws-lambda-")  # the other presets are other places
            }
        )
        raise SamError(
            f"{where}: no tagpip preset for the runtime {runtime!r}",
            hint=f"tagpip knows {', '.join(known)}",
        )
    return name


def _code_folder(
    value: Any, base: Path, where: str, key: str, logical_id: str, notes: list[str]
) -> Path | None:
    if value is None:
        value = "."  # SAM builds the template's own folder
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("s3://")):
        notes.append(f"{logical_id}: its {key} is on S3, so SAM does not build it")
        return None
    text = _literal(value, where, key)
    folder = Path(os.path.normpath(base / text))
    if not folder.is_dir():
        raise SamError(f"{where}: {key} {text!r} is not a folder ({folder} does not exist)")
    return folder


def _require_file(folder: Path, requirements: str, where: str) -> None:
    if not (folder / requirements).is_file():
        raise SamError(
            f"{where}: {folder / requirements} does not exist",
            hint="write the requirements there, or name the file with --requirements",
        )


def _make_word(text: str) -> str:
    """A file name as one word of a recipe line: quoted for the shell, ``$`` doubled for make."""
    return shlex.quote(text).replace("$", "$$")


def write_makefiles(plan: Plan) -> list[tuple[Path, str]]:
    """Write each Makefile's block (atomically; nothing else in the file changes). Returns each
    path with what happened: ``created``, ``updated`` or ``unchanged``. Every file is checked
    before the first is written, so a clash leaves them all as they were."""
    pending: list[tuple[Path, str, str]] = []
    for makefile in plan.makefiles():
        existing = _read(makefile.path)
        text = makefile.merged(existing)
        if existing is None:
            pending.append((makefile.path, text, "created"))
        elif text == existing:
            pending.append((makefile.path, text, "unchanged"))
        else:
            pending.append((makefile.path, text, "updated"))
    for path, text, status in pending:
        if status != "unchanged":
            try:
                write_text_atomically(path, text)
            except OSError as error:
                raise SamError(f"cannot write {path}: {error}") from None
    return [(path, status) for path, _, status in pending]


def check_makefiles(plan: Plan) -> list[Stale]:
    """The Makefiles whose tagpip block is missing or differs from what the template asks for
    (a function moved to arm64 while its Makefile still fetches x86_64 wheels), each with a
    unified diff of the block."""
    stale: list[Stale] = []
    for makefile in plan.makefiles():
        existing = _read(makefile.path)
        if existing is None:
            stale.append(Stale(makefile.path, "does not exist"))
            continue
        wanted = makefile.block()
        begin = _BEGIN_RE.search(existing)
        end = _END_RE.search(existing, begin.end()) if begin else None
        if begin is None or end is None:
            stale.append(Stale(makefile.path, "has no tagpip block"))
            continue
        found = existing[begin.start() : end.end()] + "\n"
        if found != wanted:
            diff = difflib.unified_diff(
                found.splitlines(),
                wanted.splitlines(),
                fromfile=f"{makefile.path} (now)",
                tofile=f"{makefile.path} (from {plan.template.name})",
                lineterm="",
            )
            stale.append(Stale(makefile.path, "differs from the template", tuple(diff)))
    return stale


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise SamError(f"cannot read {path}: {error}") from None


def describe(build: Build) -> Sequence[str]:
    """A resource as the command lists it: its id, kind, runtimes, architecture and presets."""
    return (
        build.logical_id,
        build.kind,
        ", ".join(build.runtimes),
        build.architecture,
        ", ".join(build.presets),
    )
