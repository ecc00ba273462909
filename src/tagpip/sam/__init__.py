"""AWS SAM: the functions and layers of a template that tagpip builds with SAM's Makefile
build method, and the blocks of the Makefiles that do it (``tagpip sam``).
"""

from __future__ import annotations

from tagpip.sam.template import (
    BEGIN,
    END,
    TEMPLATE_NAMES,
    Build,
    Makefile,
    Plan,
    SamError,
    Stale,
    check_makefiles,
    describe,
    find_template,
    plan,
    read_template,
    write_makefiles,
)

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
