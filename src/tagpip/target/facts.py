"""Targets made from what a real system says about itself: a real interpreter, run once to
report its facts (``--from-python``, and the host), and files that describe one (tagpip's own
``tags --json``, pex's ``--complete-platform`` file, PEP 739's ``build-details.json``).

The one place in the target stage that runs a process or reads a file: the
:class:`~tagpip.target.value.Target` it returns is a value like any other, and nothing else in
the stage looks at the host. ``--target-file`` comes through :func:`target_from_file`,
``--from-python`` through :func:`target_from_python`.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import packaging
from packaging.tags import INTERPRETER_SHORT_NAMES, Tag, mac_platforms
from packaging.version import InvalidVersion, Version

from tagpip.tags import (
    ALSO_RUNS,
    expand_platforms,
    manylinux_tags,
    musllinux_tags,
    parse_python_version,
)
from tagpip.target.markers import IMPLEMENTATIONS, MARKER_NAMES, platform_markers
from tagpip.target.probe import PROBE_SOURCE
from tagpip.target.value import (
    Target,
    TargetError,
    compute_tags,
    interpreter_command,
    parse_word,
    specific_abi,
)

__all__ = [
    "host_target",
    "pex_platform",
    "read_build_details",
    "read_pex_platform",
    "target_from_facts",
    "target_from_file",
    "target_from_python",
]

# --- real interpreters ---------------------------------------------------------------------------

# packaging 26.3 moved a Linux interpreter's own linux_<arch> tag from last to first.
_LINUX_FIRST = Version(packaging.__version__) >= Version("26.3")


def _normalize(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _fact_abis(facts: Mapping[str, Any], impl: str, version: tuple[int, ...]) -> list[str]:
    """packaging's ``_cpython_abis`` / ``_generic_abi`` fed with the interpreter's facts."""
    nodot = f"{version[0]}{version[1]}"
    if impl == "cp":
        debug = threading = pymalloc = ucs4 = ""
        with_debug = facts.get("py_debug")
        has_ext = "_d.pyd" in facts.get("extension_suffixes", [])
        if with_debug or (with_debug is None and (facts.get("has_refcount") or has_ext)):
            debug = "d"
        if version[:2] >= (3, 13) and facts.get("py_gil_disabled"):
            threading = "t"
        if version[:2] < (3, 8):
            with_pymalloc = facts.get("with_pymalloc")
            if with_pymalloc or with_pymalloc is None:
                pymalloc = "m"
            if version[:2] < (3, 3):
                size = facts.get("py_unicode_size")
                if size == 4 or (size is None and facts.get("maxunicode") == 0x10FFFF):
                    ucs4 = "u"
        abis = [f"cp{nodot}{threading}{debug}{pymalloc}{ucs4}"]
        if version[:2] >= (3, 8) and debug:
            abis.append(f"cp{nodot}{threading}")
        return abis
    ext_suffix = facts.get("ext_suffix")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return []
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith(("pypy", "graalpy")):
        abi = "-".join(soabi.split("-")[: 2 if soabi.startswith("pypy") else 3])
    else:
        abi = soabi
    return [_normalize(abi)] if abi else []


def _fact_platforms(facts: Mapping[str, Any]) -> list[str]:
    """packaging's ``platform_tags()`` fed with the interpreter's facts."""
    system = facts["system"]
    if system == "Darwin":
        version = tuple(int(p) for p in str(facts["mac_version"]).split(".")[:2])
        arch = str(facts["machine"])
        if facts.get("is_32bit"):
            arch = "ppc" if arch.startswith("ppc") else "i386"
        return list(mac_platforms((version[0], version[1]), arch))
    linux = _normalize(str(facts["sysconfig_platform"]))
    if system != "Linux" or not linux.startswith("linux_"):
        return [linux]
    if facts.get("is_32bit"):
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = [arch, *ALSO_RUNS.get(arch, ())]
    many: list[str] = []
    glibc = facts.get("glibc")
    if glibc:
        match = re.match(r"(\d+)\.(\d+)", str(glibc))
        if match:
            for one in archs:
                many.extend(manylinux_tags((int(match[1]), int(match[2])), one))
    musl = facts.get("musl")
    if musl:
        for one in archs:
            many.extend(musllinux_tags((int(musl[0]), int(musl[1])), one))
    native = [f"linux_{one}" for one in archs]
    return native + many if _LINUX_FIRST else many + native


def target_from_python(path: str | Path) -> Target:
    """The target a real interpreter is: it runs once (isolated, without site) to report its
    facts; its tags are then computed here as its own ``sys_tags()`` would, by the packaging
    installed next to tagpip (which the interpreter itself may lack).

    ``path`` is an interpreter, or a script that runs one, or a command line that runs one
    elsewhere (``docker run --rm -i IMAGE python3``, ``ssh HOST python3``, ``chroot ROOT
    python3``): tagpip appends ``-I -S -`` and writes the probe to its standard input, which
    passes through such commands where a ``-c`` program would be requoted by a remote shell.
    A value that is not an existing file and holds a space is a command line (split as a
    POSIX shell would, with :func:`shlex.split`, never run by a shell).
    """
    text = str(path)
    command = interpreter_command(text)
    # A command may pull an image or open a connection first: give it longer.
    timeout = 60 if len(command) == 1 else 300
    try:
        result = subprocess.run(
            [*command, "-I", "-S", "-"],
            input=PROBE_SOURCE,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TargetError(
            f"the interpreter {text!r} did not report its tags within {timeout} seconds"
        ) from None
    except OSError as error:
        raise TargetError(f"cannot run the interpreter {text!r}: {error}") from None
    if result.returncode != 0:
        # The interpreter's own words, trimmed to one line: a fatal start-up error (or a
        # Python 2 refusing -I) says what is wrong in its first line, a traceback in its
        # last (the probe's source, which a traceback quotes, is never shown).
        lines = [line.strip() for line in result.stderr.strip().splitlines() if line.strip()]
        fatal = [
            line for line in lines if line.startswith(("Fatal Python error", "Unknown option"))
        ]
        detail = fatal[:1] or lines[-1:] or [f"exit status {result.returncode}, no output"]
        raise TargetError(
            f"the interpreter {text!r} failed to report its tags: {detail[0]}",
            hint="--from-python needs a CPython or PyPy 3.6 or later",
        )
    if not result.stdout.strip():
        raise TargetError(
            f"the interpreter {text!r} printed nothing",
            hint="tagpip sends its probe on standard input: a command that runs the "
            "interpreter elsewhere must pass it on (docker run -i; ssh without -n)",
        )
    try:
        facts = json.loads(result.stdout)
    except ValueError:
        raise TargetError(f"the interpreter {text!r} gave unreadable output") from None
    return target_from_facts(facts, source=f"--from-python {text}")


def host_target() -> Target:
    """The interpreter tagpip runs in: the one place the host is read."""
    namespace: dict[str, Any] = {"__name__": "tagpip._probe_run"}
    exec(compile(PROBE_SOURCE, "<tagpip probe>", "exec"), namespace)
    return target_from_facts(namespace["_facts"](), source="the host")


def target_from_facts(facts: Mapping[str, Any], *, source: str = "") -> Target:
    """A target from what the probe script reports (see :mod:`tagpip.target.probe`)."""
    try:
        return _from_facts(facts, source)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise TargetError(f"incomplete interpreter facts: {error!r}") from None


def _from_facts(facts: Mapping[str, Any], source: str) -> Target:
    name = str(facts["implementation"])
    impl = INTERPRETER_SHORT_NAMES.get(name, name)
    if impl not in IMPLEMENTATIONS:
        raise TargetError(f"tagpip does not know the implementation {name!r}")
    version = tuple(int(v) for v in facts["version"][:3])
    nodot = facts.get("py_version_nodot")
    if nodot and str(nodot) != f"{version[0]}{version[1]}":
        raise TargetError(f"unexpected py_version_nodot {nodot!r} for Python {version}")
    abis = _fact_abis(facts, impl, version)
    platforms = _fact_platforms(facts)
    markers = {k: str(v) for k, v in dict(facts["markers"]).items() if k in MARKER_NAMES}
    return Target(
        implementation=impl,
        python_version=version,
        abis=tuple(abis),
        platforms=tuple(dict.fromkeys(platforms)),
        tags=compute_tags(impl, version, abis, platforms),
        markers=tuple(sorted(markers.items())),
        source=source,
    )


# --- other tools' target descriptions -----------------------------------------------------------


def _bad_file(source: str, kind: str, why: str) -> TargetError:
    return TargetError(f"{source} is not a valid {kind}: {why}")


def read_pex_platform(data: Mapping[str, Any], source: str) -> Target:
    """pex's ``--complete-platform`` file: ``marker_environment`` (the PEP 508 values of the real
    interpreter) and ``compatible_tags`` (its ``sys_tags()``, best first). Both are the real
    machine's, so they are kept as they are; implementation, version, ABIs and platforms are read
    back from them for messages and for narrowing by tag blocks."""
    kind = "pex complete platform"
    tags_text = data.get("compatible_tags")
    if not isinstance(tags_text, list) or not tags_text:
        raise _bad_file(source, kind, "'compatible_tags' must be a non-empty list of tags")
    environment = data.get("marker_environment")
    if not isinstance(environment, dict):
        raise _bad_file(source, kind, "'marker_environment' must be an object")
    markers: dict[str, str] = {}
    for name, value in environment.items():
        if name in MARKER_NAMES and isinstance(value, str):
            markers[name] = value
        elif name in MARKER_NAMES:
            raise _bad_file(source, kind, f"marker {name!r} must be a string")
    version_text = markers.get("python_full_version") or markers.get("python_version")
    if version_text is None:
        raise _bad_file(source, kind, "'marker_environment' has no python_version")
    release = Version(version_text).release if _is_version(version_text) else ()
    if len(release) < 2:
        raise _bad_file(source, kind, f"python version {version_text!r} is not X.Y or X.Y.Z")
    tags: list[Tag] = []
    for text in tags_text:
        parts = text.lower().split("-") if isinstance(text, str) else []
        if len(parts) != 3 or not all(parts):
            raise _bad_file(source, kind, f"invalid tag {text!r}")
        tags.append(Tag(*parts))
    name = markers.get("implementation_name", "")
    impl = INTERPRETER_SHORT_NAMES.get(name, name)
    if impl not in IMPLEMENTATIONS:
        raise _bad_file(source, kind, f"unknown implementation_name {name!r}")
    version = release[:3] if "python_full_version" in markers else release[:2]
    abis = [t.abi for t in tags if specific_abi(t.abi)]
    platforms = [t.platform for t in tags if t.platform != "any"]
    target = Target.of(
        impl, version, list(dict.fromkeys(abis)), platforms, markers=markers, expand=False
    )
    return replace(target, tags=tuple(dict.fromkeys(tags)), source=source)


def pex_platform(target: Target) -> dict[str, Any]:
    """The target as a pex ``--complete-platform`` file, which :func:`read_pex_platform` reads
    back: its ordered tags as they are, and the marker values it defines (pex accepts a subset
    of PEP 508's names; an undefined one is left out rather than guessed)."""
    return {
        "marker_environment": dict(sorted(target.marker_environment.items())),
        "compatible_tags": [str(tag) for tag in target.tags],
    }


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def read_build_details(data: Mapping[str, Any], source: str) -> Target:
    """A PEP 739 ``build-details.json`` (schema 1.x, installed with Python from 3.14): its
    ``language.version_info``, ``implementation`` and ``abi`` give the interpreter; ``platform``
    is ``sysconfig.get_platform()``. The file does not say the glibc or musl version, so a Linux
    build gives only its ``linux_<arch>`` platform, and the target says so in a note."""
    kind = "PEP 739 build-details.json"
    schema = data.get("schema_version")
    if not isinstance(schema, str) or schema.split(".")[0] != "1":
        raise _bad_file(source, kind, f"unsupported schema_version {schema!r} (tagpip reads 1.x)")
    language = data.get("language")
    implementation = data.get("implementation")
    platform = data.get("platform")
    if not isinstance(language, dict) or not isinstance(implementation, dict):
        raise _bad_file(source, kind, "'language' and 'implementation' must be objects")
    if not isinstance(platform, str) or not platform:
        raise _bad_file(source, kind, "'platform' must be a string such as 'linux-x86_64'")
    info = language.get("version_info")
    version: tuple[int, ...]
    markers: dict[str, str] = {}
    if isinstance(info, dict) and all(isinstance(info.get(k), int) for k in ("major", "minor")):
        version = (info["major"], info["minor"])
        if isinstance(info.get("micro"), int):
            version = (*version, info["micro"])
            markers["python_full_version"] = _full_version(info)
    elif isinstance(language.get("version"), str):
        version = parse_word(parse_python_version, language["version"])
    else:
        raise _bad_file(source, kind, "'language' has no version")
    name = implementation.get("name")
    if not isinstance(name, str):
        raise _bad_file(source, kind, "'implementation.name' must be a string")
    impl = INTERPRETER_SHORT_NAMES.get(name, name)
    if impl not in IMPLEMENTATIONS:
        raise _bad_file(source, kind, f"unknown implementation {name!r}")
    abi = data.get("abi", {})
    if not isinstance(abi, dict):
        raise _bad_file(source, kind, "'abi' must be an object")
    flags = abi.get("flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise _bad_file(source, kind, "'abi.flags' must be a list of strings")
    facts = {
        "py_debug": "d" in flags,
        "py_gil_disabled": "t" in flags,
        "with_pymalloc": "m" in flags,
        "ext_suffix": abi.get("extension_suffix"),
    }
    abis = _fact_abis(facts, impl, version)
    native = _normalize(platform).lower()
    platforms = list(expand_platforms([native]))
    markers.update(platform_markers([native]))
    markers["python_version"] = f"{version[0]}.{version[1]}"
    markers["implementation_name"] = name
    if IMPLEMENTATIONS[impl][1]:
        markers["platform_python_implementation"] = IMPLEMENTATIONS[impl][1]
    implementation_version = implementation.get("version")
    if isinstance(implementation_version, dict) and all(
        isinstance(implementation_version.get(k), int) for k in ("major", "minor", "micro")
    ):
        markers["implementation_version"] = _full_version(implementation_version)
    notes: list[str] = []
    if native.startswith("linux_"):
        notes.append(
            f"{source} does not say the glibc or musl version, so the target takes only "
            f"{native} wheels, no manylinux or musllinux ones; capture the interpreter with "
            "tagpip tags --from-python PATH --json for those"
        )
    target = Target.of(impl, version, abis, platforms, markers=markers, expand=False)
    return replace(target, source=source, notes=tuple(notes))


def _full_version(info: Mapping[str, Any]) -> str:
    """``python_full_version`` as packaging's ``format_full_version`` writes it."""
    text = f"{info['major']}.{info['minor']}.{info['micro']}"
    level = info.get("releaselevel", "final")
    if isinstance(level, str) and level != "final":
        text += level[0] + str(info.get("serial", 0))
    return text


def target_from_file(path: str | Path) -> Target:
    """Read a target file: the JSON ``tagpip tags --json`` prints, pex's
    ``--complete-platform`` JSON, or a PEP 739 ``build-details.json`` (told apart by their
    keys)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise TargetError(f"cannot read the target file {str(path)!r}: {error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise TargetError(f"the target file {str(path)!r} is not JSON: {error}") from None
    source = f"the target file {path}"
    if isinstance(data, dict) and "compatible_tags" in data and "version" not in data:
        return read_pex_platform(data, source)
    if isinstance(data, dict) and "schema_version" in data and "version" not in data:
        return read_build_details(data, source)
    return Target.from_json(data, source=source)
