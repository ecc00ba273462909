"""Requirement lines and pip-format requirement files: the tagged requirement syntax, pip's
file format (options, continuations, ``-r``/``-c``, ``${VAR}``), every problem with the
file, line and column it is about, and the fast path of ``tagpip check``.
"""

from __future__ import annotations

from tagpip.requirements.syntax import (
    FileOptions,
    OptionValue,
    RequirementsFile,
    RequirementSyntaxError,
    TaggedRequirement,
    TagLikeExtras,
    check_requirements_file,
    check_requirements_text,
    decode_requirements,
    format_requirement,
    parse_line,
    parse_requirements_file,
    parse_requirements_text,
    validate_requirements_file,
    validate_requirements_files,
)

__all__ = [
    "FileOptions",
    "OptionValue",
    "RequirementSyntaxError",
    "RequirementsFile",
    "TagLikeExtras",
    "TaggedRequirement",
    "check_requirements_file",
    "check_requirements_text",
    "decode_requirements",
    "format_requirement",
    "parse_line",
    "parse_requirements_file",
    "parse_requirements_text",
    "validate_requirements_file",
    "validate_requirements_files",
]
