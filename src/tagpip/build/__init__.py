"""Building pure-Python sources into wheels for a target, and refusing what is not pure:
what an sdist declares, read before any build; isolated build environments tagpip
makes and fills; a real interpreter of the target's Python to build on.
"""

from __future__ import annotations

from tagpip.build.builder import (
    BuildError,
    Built,
    LocalSource,
    NotPureError,
    SourceBuilder,
    SourceError,
    build_wheel,
    check_pure,
    lockable_pins,
)
from tagpip.build.environment import (
    DEFAULT_BUILD_TIMEOUT,
    BuildTimedOut,
    ProcessFailed,
    Runner,
    VenvEnvironment,
)
from tagpip.build.interpreters import Interpreter, find_interpreter, host_interpreter
from tagpip.build.sdistcheck import (
    COMPILED_BACKENDS,
    COMPILING_REQUIREMENTS,
    SdistUnreadable,
    needs_compiling,
)

__all__ = [
    "COMPILED_BACKENDS",
    "COMPILING_REQUIREMENTS",
    "DEFAULT_BUILD_TIMEOUT",
    "BuildError",
    "BuildTimedOut",
    "Built",
    "Interpreter",
    "LocalSource",
    "NotPureError",
    "ProcessFailed",
    "Runner",
    "SdistUnreadable",
    "SourceBuilder",
    "SourceError",
    "VenvEnvironment",
    "build_wheel",
    "check_pure",
    "find_interpreter",
    "host_interpreter",
    "lockable_pins",
    "needs_compiling",
]
