"""``tagpip verify``: prove that what was installed or bundled imports on the target itself.

Tags say where a wheel should run; only the target's own interpreter says whether it does (a
glibc symbol, a shared library, a CPU, a backport a marker left out). :func:`verify` runs that
interpreter (a path, or any command line that starts it: a container, a chroot, qemu-user) with
the folder on its import path, imports every module the folder's distributions provide, each
distribution in a fresh child process with a time limit per import so that a crash or a hang
marks one module and never hides the others, and returns a :class:`VerifyReport`: one result a
distribution, the interpreter's facts, how they differ from the target the folder was made for
(:mod:`tagpip.target.record`), the dependencies the interpreter's environment needs that are not
there, and the user's smoke calls.

The pieces: :mod:`tagpip.verify.folder` reads the folder or zip and what to import of it,
:mod:`tagpip.verify.script` is the check the interpreter runs, :mod:`tagpip.verify.interpreter` runs
it. Nothing here prints; progress goes to ``on_progress``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tagpip.errors import Diagnostic, Span, TagpipError, UsageError, ValidationError
from tagpip.tags import classify
from tagpip.target import (
    IMPLEMENTATIONS,
    PROBE_SOURCE,
    RECORD_NAME,
    Recorded,
    RecordError,
    Target,
    read_record,
    target_from_facts,
)
from tagpip.verify.folder import Distribution, Opened, elf_machine, open_folder
from tagpip.verify.interpreter import InterpreterError, run_check
from tagpip.verify.script import CHECK_SOURCE

__all__ = [
    "DistributionResult",
    "Interpreter",
    "InterpreterError",
    "Missing",
    "Outcome",
    "SmokeCall",
    "VerifyError",
    "VerifyReport",
    "python_command",
    "read_smoke_file",
    "verify",
]

DEFAULT_TIMEOUT = 60.0
DEFAULT_START_TIMEOUT = 300.0
_SMOKE_JOB = "smoke"


class VerifyError(TagpipError):
    """Verifying cannot be done as asked (the interpreter is too old, cannot see the folder)."""


@dataclass(frozen=True)
class SmokeCall:
    """One line of a smoke file: import ``module``, then evaluate ``expression`` (if any) in
    its namespace; ``line`` is where it was written, for the report."""

    module: str
    expression: str | None
    line: int = 0
    source: str = ""

    def __str__(self) -> str:
        return self.module if self.expression is None else f"{self.module}:{self.expression}"


@dataclass(frozen=True)
class Outcome:
    """How one import (or smoke call) went: ``status`` is ``ok``, ``error`` (an exception:
    ``error_type`` and the first line of its message), ``crashed`` (the process died: a
    signal such as SIGSEGV, in ``detail``), ``exited`` (the import ended the process: its exit
    code in ``detail``), ``timeout`` (still running after the time limit, then stopped),
    ``foreign`` (an extension file this interpreter cannot load: built for another Python or
    machine), ``false`` (a smoke call that evaluated to False) or ``unanswered`` (the run ended
    first). ``hint`` adds what tagpip knows about it (the ELF file's machine); ``shadows`` is
    the standard library module of the same name the folder's module hides (its path)."""

    module: str
    status: str
    error_type: str = ""
    message: str = ""
    detail: str = ""
    hint: str = ""
    seconds: float | None = None
    file: str = ""
    cause: str = ""
    shadows: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self, timeout: float) -> str:
        """One line: what went wrong (for anything but ``ok``)."""
        if self.status == "error":
            text = f"{self.error_type}: {self.message}" if self.message else self.error_type
            if self.cause:
                text += f" (from {self.cause})"
        elif self.status == "crashed":
            text = f"crashed the interpreter ({self.detail})"
        elif self.status == "exited":
            text = f"ended the interpreter on import (exit status {self.detail})"
        elif self.status == "timeout":
            text = f"still importing after {timeout:g} s (the time limit, --timeout); stopped"
        elif self.status == "foreign":
            text = f"{self.file} is not an extension module this interpreter loads ({self.detail})"
        elif self.status == "false":
            text = "evaluated to False"
        elif self.status == "unanswered":
            text = "not tried: the check ended first"
        else:
            text = self.status
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True)
class Missing:
    """A dependency the interpreter's environment needs that the folder and the interpreter do
    not provide (``found`` None), or provide at another version (``found``). ``left_out`` says
    the requirement's marker is false for the target the folder was made for: tagpip left it
    out for that target, and it is missing only because this interpreter is another one."""

    requirement: str
    name: NormalizedName
    found: str | None = None
    left_out: bool = False

    def describe(self) -> str:
        if self.found is None:
            text = f"needs {self.requirement}, which is not installed"
        else:
            text = f"needs {self.requirement}, but {self.name} {self.found} is installed"
        if self.left_out:
            text += " (left out for the target the folder was made for: its marker is false there)"
        return text


@dataclass(frozen=True)
class DistributionResult:
    """One distribution's line of the report."""

    name: NormalizedName
    display: str
    version: str
    outcomes: tuple[Outcome, ...]
    missing: tuple[Missing, ...] = ()
    unfit_tags: tuple[str, ...] = ()
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return not self.missing and all(outcome.ok for outcome in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.ok)


@dataclass(frozen=True)
class Interpreter:
    """What the interpreter said about itself: its command, its facts (as
    :data:`tagpip.target.probe.PROBE_SOURCE` reports them), ``sys.path``, and the distributions it
    sees outside the folder (name, version, path entry)."""

    command: tuple[str, ...]
    facts: Mapping[str, Any]
    sys_path: tuple[str, ...]
    visible: tuple[tuple[NormalizedName, str, str], ...]

    def describe(self) -> str:
        """``CPython 3.12.1 on linux x86_64, glibc 2.36``."""
        facts = self.facts
        markers = facts.get("markers") or {}
        name = str(facts.get("implementation", "python"))
        long = {value[0]: value[2] for value in IMPLEMENTATIONS.values() if value[0]}
        version = markers.get("python_full_version") or ".".join(
            str(part) for part in facts.get("version", [])
        )
        text = f"{long.get(name, name)} {version} on {markers.get('sys_platform', '?')} "
        text += str(facts.get("machine", "?"))
        if facts.get("glibc"):
            text += f", glibc {facts['glibc']}"
        elif facts.get("musl"):
            text += f", musl {'.'.join(str(part) for part in facts['musl'])}"
        elif facts.get("mac_version"):
            text += f", macOS {facts['mac_version']}"
        return text


@dataclass(frozen=True)
class VerifyReport:
    """All ``tagpip verify`` found. ``ok`` when every distribution and smoke call is."""

    path: str
    kind: str
    site: str
    inside: str
    interpreter: Interpreter
    recorded: Recorded | None
    differences: tuple[str, ...]
    distributions: tuple[DistributionResult, ...]
    smoke: tuple[Outcome, ...]
    timeout: float
    warnings: tuple[str, ...] = ()
    stderr: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.distributions) and all(
            outcome.ok for outcome in self.smoke
        )

    def to_json(self) -> dict[str, Any]:
        """The report for ``--json`` (docs/verify.md describes each field)."""

        def outcome(item: Outcome) -> dict[str, Any]:
            data: dict[str, Any] = {"module": item.module, "status": item.status}
            for key in ("error_type", "message", "cause", "detail", "hint", "file", "shadows"):
                if getattr(item, key):
                    data[key] = getattr(item, key)
            if item.seconds is not None:
                data["seconds"] = item.seconds
            return data

        failed = [result for result in self.distributions if not result.ok]
        imports = [item for result in self.distributions for item in result.outcomes]
        return {
            "version": 1,
            "ok": self.ok,
            "path": self.path,
            "kind": self.kind,
            "site": self.site,
            "inside": self.inside,
            "interpreter": {
                "command": list(self.interpreter.command),
                "description": self.interpreter.describe(),
                "implementation": self.interpreter.facts.get("implementation"),
                "version": self.interpreter.facts.get("markers", {}).get("python_full_version"),
                "machine": self.interpreter.facts.get("machine"),
                "glibc": self.interpreter.facts.get("glibc"),
                "musl": self.interpreter.facts.get("musl"),
                "markers": self.interpreter.facts.get("markers"),
                "sys_path": list(self.interpreter.sys_path),
                "visible": [
                    {"name": name, "version": version, "path": where}
                    for name, version, where in self.interpreter.visible
                ],
            },
            "target": None
            if self.recorded is None
            else {
                "description": self.recorded.target.describe(),
                "made_by": self.recorded.made_by,
                "tagpip_version": self.recorded.tagpip_version,
            },
            "differences": list(self.differences),
            "warnings": list(self.warnings),
            "distributions": [
                {
                    "name": result.display,
                    "version": result.version,
                    "ok": result.ok,
                    "skipped": result.skipped,
                    "modules": [outcome(item) for item in result.outcomes],
                    "missing": [
                        {
                            "requirement": item.requirement,
                            "name": item.name,
                            "found": item.found,
                            "left_out": item.left_out,
                        }
                        for item in result.missing
                    ],
                    "unfit_tags": list(result.unfit_tags),
                }
                for result in self.distributions
            ],
            "smoke": [outcome(item) for item in self.smoke],
            "summary": {
                "distributions": len(self.distributions),
                "failed": len(failed),
                "imports": len(imports),
                "imports_failed": sum(1 for item in imports if not item.ok),
                "smoke": len(self.smoke),
                "smoke_failed": sum(1 for item in self.smoke if not item.ok),
            },
        }


# --- the command and the smoke file -------------------------------------------------------------


def python_command(text: str) -> tuple[str, ...]:
    """``--python``'s value as an argv: a path that exists is one word, spaces and all;
    anything else is a command line, split as a POSIX shell splits it (quotes kept together)."""
    from tagpip.target import TargetError, interpreter_command

    if not text.strip():
        raise UsageError("--python is empty; give the interpreter's path or a command line")
    try:
        return tuple(interpreter_command(text, option="--python"))
    except TargetError as error:
        raise UsageError(error.message) from None


_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


def read_smoke_file(path: Path) -> tuple[SmokeCall, ...]:
    """The calls of a smoke file: one ``module`` or ``module:expression`` a line, blank lines
    and ``#`` comments skipped. Every bad line is reported at once, with its place."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VerifyError(f"cannot read the smoke file {path}: {error}") from None
    calls: list[SmokeCall] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        module, colon, expression = line.partition(":")
        start = raw.index(line[0])
        name = module.strip()
        if not _DOTTED.fullmatch(name):
            problems.append(
                Diagnostic(
                    "error",
                    f"{name!r} is not a module name" if name else "no module before ':'",
                    Span(str(path), number, start, start + max(len(module), 1), raw),
                    "write module:expression, e.g. json:dumps([1])",
                )
            )
            continue
        if colon and not expression.strip():
            at = start + len(module) + 1
            problems.append(
                Diagnostic(
                    "error",
                    "no expression after ':'",
                    Span(str(path), number, at, at + 1, raw),
                    f"write {name}:EXPRESSION, or just {name} to only import it",
                )
            )
            continue
        calls.append(SmokeCall(name, expression.strip() if colon else None, number, str(path)))
    if problems:
        raise ValidationError(problems)
    return tuple(calls)


# --- verifying -----------------------------------------------------------------------------------


def verify(
    path: Path,
    python: Sequence[str],
    *,
    inside: str | None = None,
    extra_paths: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    smoke: Sequence[SmokeCall] = (),
    skip: Sequence[str] = (),
    site_packages: bool = True,
    spawn: bool = False,
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Import what the distributions in ``path`` provide with the interpreter ``python`` (an
    argv; ``{dir}`` in a word stands for the folder, a zip's unpacked copy) and report.

    ``inside`` is where that interpreter sees the folder (a container's mount point; by default
    the same path); ``extra_paths`` go on ``sys.path`` after it (as the interpreter sees them:
    a layer mounted at ``/opt/python``). ``timeout`` is the limit of each import or smoke call,
    ``start_timeout`` the time the interpreter has to report itself. ``skip`` names modules (a
    package and all under it) or distributions not to import. Without ``site_packages`` the
    interpreter runs with ``-S``. ``spawn`` starts a fresh interpreter per child instead of
    forking (what happens anyway where there is no ``fork``: Windows).
    """
    if timeout <= 0 or start_timeout <= 0:
        raise UsageError("the time limits must be more than 0 seconds")
    report = on_progress or (lambda _text: None)
    with open_folder(path) as opened:
        words = [word.replace("{dir}", str(opened.root)) for word in python]
        if inside is not None and opened.kind.endswith("zip") and words == list(python):
            raise UsageError(
                f"{path} is a zip, which tagpip unpacks into a temporary folder: with --inside, "
                "put {dir} in the --python command where it mounts the folder "
                "(docker run -i -v {dir}:/var/task ...)"
            )
        recorded, warnings = _recorded(opened)
        where = inside if inside is not None else str(opened.root)
        site_inside = _join(where, opened.site, posix=inside is not None)
        skipped = {canonicalize_name(name) for name in skip}
        jobs, plan = _jobs(opened.distributions, skip, skipped, smoke)
        flags = ["-B", "-s"] + ([] if site_packages else ["-S"])
        mark = f"@tagpip-verify-{secrets.token_hex(8)}@ "
        payload = {
            "mark": mark,
            "probe": PROBE_SOURCE,
            "paths": [site_inside, *extra_paths],
            "jobs": jobs,
            "timeout": timeout,
            "flags": flags,
            "spawn": spawn,
            "source": CHECK_SOURCE,
        }
        script = CHECK_SOURCE + f"\nmain({_literal(payload)})\n"
        state = _State(plan, report)
        environment = {
            key: value
            for key, value in (os.environ if environ is None else environ).items()
            if not key.startswith("PYTHON")
        }
        report(f"starting {shlex.join(words)}")
        ran = run_check(
            [*words, *flags, "-"],
            script,
            mark=mark,
            env=environment,
            timeout=timeout,
            start_timeout=start_timeout,
            on_event=state.take,
        )
        if state.hello is None:
            raise _silent(words, ran.returncode, ran.stderr, ran.noise)
        if not ran.ended:
            status = "was stopped" if ran.returncode is None else f"exited ({ran.returncode})"
            raise InterpreterError(
                f"the interpreter {status} before the check finished",
                hint=_last_line(ran.stderr) or None,
                stderr=ran.stderr,
            )
        interpreter = _interpreter(tuple(words), state.hello)
        differences = _differences(recorded, interpreter) if recorded is not None else ()
        if recorded is None and not warnings:
            warnings.append(
                f"{path} has no record of the target it was made for ({RECORD_NAME}, which "
                "tagpip install and bundle write), so the interpreter is not compared with it"
            )
        results = _results(opened, plan, state, interpreter, recorded, skipped, timeout)
        smoke_results = tuple(
            _outcome(item, state.results.get((_SMOKE_JOB, index)), opened, interpreter)
            for index, item in enumerate(plan.get(_SMOKE_JOB, ()))
        )
        return VerifyReport(
            path=str(path),
            kind=opened.kind,
            site=opened.site,
            inside=site_inside,
            interpreter=interpreter,
            recorded=recorded,
            differences=differences,
            distributions=results,
            smoke=smoke_results,
            timeout=timeout,
            warnings=tuple(warnings),
            stderr=ran.stderr,
        )


@dataclass(frozen=True)
class _Item:
    """One thing the check is asked to do: import ``module``, or load the extension ``file``,
    or a smoke call (``expression``)."""

    module: str = ""
    file: str = ""
    expression: str | None = None
    smoke: bool = False


class _State:
    """What the events said so far, and the progress lines they make."""

    def __init__(self, plan: Mapping[str, Sequence[_Item]], report: Callable[[str], None]):
        self.plan = plan
        self.report = report
        self.hello: dict[str, Any] | None = None
        self.results: dict[tuple[str, int], dict[str, Any]] = {}
        self.resolved: dict[tuple[str, int], str] = {}
        self.shadows: dict[tuple[str, int], str] = {}
        self.total = sum(len(items) for items in plan.values())

    def take(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "unsupported":
            raise VerifyError(
                f"the interpreter is Python {event.get('version')}; tagpip verify needs "
                "Python 3.6 or later"
            )
        if kind == "missing":
            raise VerifyError(
                f"the interpreter does not see the folder at {event.get('path')}",
                hint="when the command mounts the folder elsewhere (a container, a chroot), "
                "say where with --inside PATH, and mount {dir}",
            )
        if kind == "hello":
            self.hello = event
            self.report("importing")
        elif kind == "resolved":
            self.resolved[(str(event["job"]), int(event["index"]))] = str(event["module"])
        elif kind == "shadows":
            self.shadows[(str(event["job"]), int(event["index"]))] = str(event["origin"])
        elif kind == "start":
            job, index = str(event["job"]), int(event["index"])
            item = self.plan[job][index]
            name = self.resolved.get((job, index)) or item.module or item.file
            self.report(f"importing {name} ({len(self.results) + 1}/{self.total})")
        elif kind == "result":
            self.results[(str(event["job"]), int(event["index"]))] = dict(event["result"])


def _literal(payload: Mapping[str, Any]) -> str:
    """The payload as a Python string literal any interpreter reads: JSON, ASCII only."""
    return repr(json.dumps(payload, sort_keys=True))


def _join(root: str, site: str, *, posix: bool) -> str:
    if not site:
        return root
    if posix:
        return root.rstrip("/") + "/" + site
    return os.path.join(root, *site.split("/"))


def _jobs(
    distributions: Sequence[Distribution],
    skip: Sequence[str],
    skipped: set[NormalizedName],
    smoke: Sequence[SmokeCall],
) -> tuple[list[dict[str, Any]], dict[str, list[_Item]]]:
    """The payload's jobs (one per distribution, then the smoke calls) and, by job id, what each
    item is, in the same order."""
    jobs: list[dict[str, Any]] = []
    plan: dict[str, list[_Item]] = {}
    for dist in distributions:
        if dist.name in skipped:
            continue
        items = [_Item(module=name) for name in dist.modules if not _skipped(name, skip)]
        items += [_Item(file=rel) for rel in dist.extensions if not _skipped(_dotted(rel), skip)]
        plan[dist.dist_info] = items
        jobs.append(
            {
                "id": dist.dist_info,
                "items": [
                    {"file": item.file} if item.file else {"module": item.module} for item in items
                ],
            }
        )
    if smoke:
        plan[_SMOKE_JOB] = [
            _Item(module=call.module, expression=call.expression, smoke=True) for call in smoke
        ]
        jobs.append(
            {
                "id": _SMOKE_JOB,
                "items": [{"module": call.module, "expression": call.expression} for call in smoke],
            }
        )
    return jobs, plan


def _dotted(rel: str) -> str:
    parts = rel.split("/")
    return ".".join([*parts[:-1], parts[-1].split(".", 1)[0]])


def _skipped(module: str, skip: Sequence[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in skip)


def _recorded(opened: Opened) -> tuple[Recorded | None, list[str]]:
    try:
        return read_record(opened.site_path), []
    except RecordError as error:
        return None, [f"{error.message}; the interpreter is not compared with the target"]


def _silent(
    words: Sequence[str], returncode: int | None, stderr: str, noise: Sequence[str]
) -> InterpreterError:
    """The error for an interpreter that ended without reporting itself."""
    detail = _last_line(stderr)
    if returncode == 0 and not detail and not noise:
        return InterpreterError(
            f"{shlex.join(words)} read no check: it exited at once, without a word",
            hint="a container needs -i to get its standard input (docker run -i ...); a "
            "wrapper script must pass its arguments and its standard input on to Python",
            stderr=stderr,
        )
    if "exec format error" in stderr.lower():
        return InterpreterError(
            f"{shlex.join(words)} did not start: exec format error (a program for another machine)",
            hint="run an interpreter for another machine under qemu-user "
            "(docs/recipes/verify-arm.md)",
            stderr=stderr,
        )
    status = "was stopped" if returncode is None else f"exited ({returncode})"
    return InterpreterError(
        f"{shlex.join(words)} {status} before it reported itself"
        + (f": {detail}" if detail else ""),
        hint="--python takes a Python interpreter (3.6 or later) or a command line that runs "
        "one, passing on its arguments and its standard input",
        stderr=stderr,
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("Fatal Python error", "Unknown option"))]
    return (fatal or lines[-1:] or [""])[0]


def _interpreter(command: tuple[str, ...], hello: Mapping[str, Any]) -> Interpreter:
    facts = hello.get("facts") or {}
    if "error" in facts:
        raise VerifyError(f"the interpreter could not describe itself: {facts['error']}")
    visible = tuple(
        (canonicalize_name(str(name)), str(version), str(where))
        for name, version, where in hello.get("visible", [])
    )
    return Interpreter(
        command, facts, tuple(str(entry) for entry in hello.get("sys_path", [])), visible
    )


def _results(
    opened: Opened,
    plan: Mapping[str, Sequence[_Item]],
    state: _State,
    interpreter: Interpreter,
    recorded: Recorded | None,
    skipped: set[NormalizedName],
    timeout: float,
) -> tuple[DistributionResult, ...]:
    fit = _interpreter_target(interpreter)
    installed = {dist.name: dist.version for dist in opened.distributions}
    outside = {name: version for name, version, _ in interpreter.visible}
    environment = dict(interpreter.facts.get("markers") or {})
    results: list[DistributionResult] = []
    for dist in opened.distributions:
        if dist.name in skipped:
            results.append(
                DistributionResult(dist.name, dist.display, dist.version, (), (), (), True)
            )
            continue
        outcomes = tuple(
            _outcome(
                item,
                state.results.get((dist.dist_info, index)),
                opened,
                interpreter,
                state.resolved.get((dist.dist_info, index)),
                state.shadows.get((dist.dist_info, index), ""),
            )
            for index, item in enumerate(plan.get(dist.dist_info, ()))
        )
        missing = _missing(dist, installed, outside, environment, recorded)
        unfit: tuple[str, ...] = ()
        if fit is not None and dist.tags and fit.wheel_rank(dist.tags) is None:
            unfit = tuple(sorted(str(tag) for tag in dist.tags))
        results.append(
            DistributionResult(dist.name, dist.display, dist.version, outcomes, missing, unfit)
        )
    return tuple(results)


def _interpreter_target(interpreter: Interpreter) -> Target | None:
    try:
        return target_from_facts(interpreter.facts, source="the interpreter")
    except TagpipError:
        return None


def _outcome(
    item: _Item,
    result: Mapping[str, Any] | None,
    opened: Opened,
    interpreter: Interpreter,
    resolved: str | None = None,
    shadows: str = "",
) -> Outcome:
    module = resolved or item.module or _dotted(item.file)
    if item.smoke:
        module = item.module if item.expression is None else f"{item.module}:{item.expression}"
    if result is None:
        return Outcome(module, "unanswered", file=item.file, shadows=shadows)
    status = str(result.get("outcome", "unanswered"))
    seconds = result.get("seconds")
    seconds = float(seconds) if isinstance(seconds, (int, float)) else None
    detail = ""
    if status == "crashed":
        detail = str(result.get("detail", ""))
    elif status == "exited":
        detail = str(result.get("code", ""))
    elif status == "foreign":
        suffixes = _suffixes(interpreter)
        detail = "it loads " + ", ".join(suffixes) if suffixes else "no suffix fits"
    error_type = str(result.get("type", ""))
    message = str(result.get("message", ""))
    cause = str(result.get("cause", ""))
    hint = _hint(item, status, f"{message} {cause}", opened, interpreter)
    return Outcome(
        module, status, error_type, message, detail, hint, seconds, item.file, cause, shadows
    )


def _suffixes(interpreter: Interpreter) -> list[str]:
    """The extension suffixes the interpreter loads, as its facts say."""
    return [str(suffix) for suffix in interpreter.facts.get("extension_suffixes") or ()]


def _hint(item: _Item, status: str, message: str, opened: Opened, interpreter: Interpreter) -> str:
    """What tagpip can add: the machine an extension file is built for when it is not the
    interpreter's (glibc calls that 'No such file or directory'), for the file the item names
    or a file of the folder the message names."""
    if status not in ("error", "foreign"):
        return ""
    files = [item.file] if item.file else []
    if status == "error":
        if "shared object" not in message and "ELF" not in message:
            return ""
        prefix = interpreter.sys_path[0].rstrip("/") + "/" if interpreter.sys_path else None
        for path in _SHARED_OBJECT.findall(message):
            if prefix and path.startswith(prefix):
                files.append(path[len(prefix) :])
    mine = str(interpreter.facts.get("machine", ""))
    for rel in files:
        machine = elf_machine(opened.site_path / rel)
        if machine is not None and mine and not _same_machine(machine, mine):
            return f"{rel} is built for {machine}; this interpreter runs on {mine}"
    return ""


_SHARED_OBJECT = re.compile(r"(/[^\s:'\"]+\.(?:so|pyd)(?:\.[0-9.]+)?)")


def _same_machine(one: str, other: str) -> bool:
    aliases = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "x86": "i686"}
    return aliases.get(one.lower(), one.lower()) == aliases.get(other.lower(), other.lower())


def _missing(
    dist: Distribution,
    installed: Mapping[NormalizedName, str],
    outside: Mapping[NormalizedName, str],
    environment: Mapping[str, str],
    recorded: Recorded | None,
) -> tuple[Missing, ...]:
    """The dependencies ``dist`` declares (without extras) that the interpreter's environment
    needs and the folder and the interpreter do not provide at a fitting version."""
    found: list[Missing] = []
    full = {**environment, "extra": ""}
    for text in dist.requires:
        try:
            requirement = Requirement(text)
        except (InvalidRequirement, InvalidMarker):
            continue
        marker = requirement.marker
        try:
            if marker is not None and not marker.evaluate(full):
                continue
        except Exception:  # a marker the interpreter's values cannot decide: no verdict
            continue
        name = canonicalize_name(requirement.name)
        have = installed.get(name) or outside.get(name)
        if have is not None:
            try:
                fits = requirement.specifier.contains(Version(have), prereleases=True)
            except InvalidVersion:
                fits = True
            if fits:
                continue
        left_out = False
        if recorded is not None and marker is not None:
            try:
                left_out = not recorded.target.evaluate(marker)
            except TagpipError:
                left_out = False
        found.append(Missing(text, name, have, left_out))
    return tuple(found)


# --- how the interpreter differs from the target -------------------------------------------------


def _differences(recorded: Recorded, interpreter: Interpreter) -> tuple[str, ...]:
    """Each way the interpreter is not the target the folder was made for, one phrase each."""
    target = recorded.target
    facts = interpreter.facts
    markers = facts.get("markers") or {}
    found: list[str] = []
    impl = IMPLEMENTATIONS.get(target.implementation)
    if impl is not None and impl[0] and facts.get("implementation") != impl[0]:
        found.append(f"it is {facts.get('implementation')}, the target {impl[0]}")
    version = tuple(int(part) for part in facts.get("version", [])[:2])
    if version and version != tuple(target.python_version[:2]):
        want = ".".join(str(part) for part in target.python_version[:2])
        have = ".".join(str(part) for part in version)
        found.append(f"it is Python {have}, the target Python {want}")
    values = dict(target.markers)
    for key, what in (("sys_platform", "its OS"), ("platform_machine", "its machine")):
        mine, theirs = str(markers.get(key, "")), values.get(key)
        if theirs and mine and not _same_machine(mine, theirs):
            found.append(f"{what} is {mine}, the target's {theirs}")
    found.extend(_libc_differences(target, facts))
    return tuple(found)


def _libc_differences(target: Target, facts: Mapping[str, Any]) -> list[str]:
    levels: dict[str, tuple[int, int]] = {}
    for tag in target.platforms:
        info = classify(tag)
        if info.family in ("manylinux", "musllinux") and info.level is not None:
            level = (info.level[0], info.level[1])
            levels[info.family] = max(levels.get(info.family, (0, 0)), level)
    found: list[str] = []
    glibc = _version_pair(facts.get("glibc"))
    musl = facts.get("musl")
    musl_pair = (int(musl[0]), int(musl[1])) if isinstance(musl, list) and len(musl) >= 2 else None
    for family, have, name in (("manylinux", glibc, "glibc"), ("musllinux", musl_pair, "musl")):
        want = levels.get(family)
        if want is None:
            continue
        wanted = f"{want[0]}.{want[1]}"
        if have is None:
            if facts.get("system") == "Linux":
                found.append(f"it has no {name}, the target {name} {wanted}")
            continue
        had = f"{have[0]}.{have[1]}"
        if have < want:
            found.append(
                f"its {name} {had} is older than the target's {wanted}: a wheel made for the "
                "target may fail to load here and still work there"
            )
        elif have > want:
            found.append(
                f"its {name} {had} is newer than the target's {wanted}: an import that works "
                "here may still fail there"
            )
    return found


def _version_pair(text: object) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", str(text)) if text else None
    return (int(match[1]), int(match[2])) if match else None
