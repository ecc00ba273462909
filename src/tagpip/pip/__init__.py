"""The pip backend: the ``pip download`` / ``pip install --target`` invocations that fetch
exactly a resolved set, and the check of what pip fetched against the resolution.
"""

from __future__ import annotations

from tagpip.pip.command import (
    Difference,
    PipBackendError,
    PipCommand,
    PipDownload,
    PipFailed,
    PipMismatch,
    PipRequirement,
    Restriction,
    differences,
    format_command,
    gives_urls,
    index_arguments,
    pip_commands,
    pip_downloads,
    restriction_for,
)

__all__ = [
    "Difference",
    "PipBackendError",
    "PipCommand",
    "PipDownload",
    "PipFailed",
    "PipMismatch",
    "PipRequirement",
    "Restriction",
    "differences",
    "format_command",
    "gives_urls",
    "index_arguments",
    "pip_commands",
    "pip_downloads",
    "restriction_for",
]
