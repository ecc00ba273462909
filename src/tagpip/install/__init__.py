"""Installing wheels into a ``--target`` folder for a target that is not this machine: every
wheel inspected, staged with ``installer``, committed by journalled moves; the cache of
unpacked wheels.
"""

from __future__ import annotations

from tagpip.install.installed import find_installed
from tagpip.install.installer import install, script_interpreter, script_kind
from tagpip.install.model import (
    FileConflict,
    Installed,
    InstallError,
    InstallFailed,
    InstallResult,
    InvalidWheel,
    NeedsUpgrade,
    Project,
    WheelProblem,
)
from tagpip.install.unpacked import LAYOUT as UNPACKED_LAYOUT
from tagpip.install.unpacked import LinkMode, UnpackedCache

__all__ = [
    "UNPACKED_LAYOUT",
    "FileConflict",
    "InstallError",
    "InstallFailed",
    "InstallResult",
    "Installed",
    "InvalidWheel",
    "LinkMode",
    "NeedsUpgrade",
    "Project",
    "UnpackedCache",
    "WheelProblem",
    "find_installed",
    "install",
    "script_interpreter",
    "script_kind",
]
