"""The facts a real interpreter reports about itself, gathered by a script it runs.

``PROBE_SOURCE`` runs inside the *target* interpreter (any CPython or PyPy from 3.6 on), in
isolated mode and without ``site``: it may not have packaging installed, so it uses the standard
library only and reports raw facts (version, config variables, glibc/musl/macOS versions, machine,
every PEP 508 marker value) as one JSON object on stdout. The tags are then computed by the
packaging installed next to tagpip, with every fact passed explicitly (see
:mod:`tagpip.target.facts`).

The source must stay valid Python 3.6: no f-strings with ``=``, no walrus, no annotations that
need ``from __future__``.
"""

from __future__ import annotations

__all__ = ["PROBE_SOURCE"]

PROBE_SOURCE = r"""
import json
import os
import platform
import struct
import subprocess
import sys
import sysconfig


def _glibc_version():
    # As packaging._manylinux: os.confstr first, then gnu_get_libc_version through ctypes.
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
        if text:
            return text.split()[-1]
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import ctypes

        function = ctypes.CDLL(None).gnu_get_libc_version
        function.restype = ctypes.c_char_p
        value = function()
        return value.decode("ascii") if isinstance(value, bytes) else value
    except Exception:
        return None


def _elf_interpreter(path):
    # The PT_INTERP program header of an ELF executable (its dynamic loader), or None.
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            end = "<" if ident[5] == 1 else ">"
            if ident[4] == 1:
                header, program, offset_at, size_at = "HHIIIIIHHHHHH", "IIIIIIII", 1, 4
            elif ident[4] == 2:
                header, program, offset_at, size_at = "HHIQQQIHHHHHH", "IIQQQQQQ", 2, 5
            else:
                return None
            fields = struct.unpack(end + header, f.read(struct.calcsize(end + header)))
            phoff, phentsize, phnum = fields[4], fields[8], fields[9]
            for index in range(phnum):
                f.seek(phoff + index * phentsize)
                entry = struct.unpack(end + program, f.read(struct.calcsize(end + program)))
                if entry[0] == 3:
                    f.seek(entry[offset_at])
                    return f.read(entry[size_at]).rstrip(b"\0").decode("ascii")
    except (OSError, ValueError, struct.error, UnicodeDecodeError):
        return None
    return None


def _musl_version():
    # As packaging._musllinux: ask the musl loader of this executable for its version.
    loader = _elf_interpreter(sys.executable)
    if not loader or "musl" not in loader:
        return None
    try:
        process = subprocess.Popen([loader], stderr=subprocess.PIPE, stdout=subprocess.PIPE)
        _, err = process.communicate()
    except OSError:
        return None
    lines = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return None
    words = lines[1].split()
    if len(words) < 2 or words[0] != "Version":
        return None
    parts = words[1].split(".")
    try:
        return [int(parts[0]), int(parts[1])]
    except (IndexError, ValueError):
        return None


def _mac_version():
    version = platform.mac_ver()[0]
    if version.startswith("10.16"):
        # Built against an old SDK, Python reports 10.16 for any macOS 11+ (as packaging does).
        env = dict(os.environ)
        env["SYSTEM_VERSION_COMPAT"] = "0"
        try:
            version = subprocess.check_output(
                [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                env=env,
            ).decode("ascii").strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return version


def _full_version(info):
    version = "{0}.{1}.{2}".format(info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def _facts():
    try:
        from importlib.machinery import EXTENSION_SUFFIXES
    except ImportError:
        EXTENSION_SUFFIXES = []
    config = sysconfig.get_config_var
    system = platform.system()
    return {
        "executable": sys.executable,
        "implementation": sys.implementation.name,
        "version": list(sys.version_info[:3]),
        "py_version_nodot": config("py_version_nodot"),
        "ext_suffix": config("EXT_SUFFIX"),
        "py_debug": config("Py_DEBUG"),
        "with_pymalloc": config("WITH_PYMALLOC"),
        "py_gil_disabled": config("Py_GIL_DISABLED"),
        "py_unicode_size": config("Py_UNICODE_SIZE"),
        "has_refcount": hasattr(sys, "gettotalrefcount"),
        "extension_suffixes": list(EXTENSION_SUFFIXES),
        "maxunicode": sys.maxunicode,
        "system": system,
        "sysconfig_platform": sysconfig.get_platform(),
        "is_32bit": struct.calcsize("P") == 4,
        "machine": platform.machine(),
        "glibc": _glibc_version() if system == "Linux" else None,
        "musl": _musl_version() if system == "Linux" else None,
        "mac_version": _mac_version() if system == "Darwin" else None,
        "markers": {
            "implementation_name": sys.implementation.name,
            "implementation_version": _full_version(sys.implementation.version),
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_release": platform.release(),
            "platform_system": system,
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "platform_python_implementation": platform.python_implementation(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        },
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_facts(), sort_keys=True))
"""
