"""The target: one interpreter on one platform, its ordered compatible tags and its marker
environment, and the ways one is made (pip's flags, tag blocks, target files, presets, a
real interpreter).
"""

from __future__ import annotations

from tagpip.target.facts import (
    host_target,
    pex_platform,
    target_from_facts,
    target_from_file,
    target_from_python,
)
from tagpip.target.layers import (
    target_for_block,
    target_from_flags,
    target_from_sources,
    target_from_spec,
)
from tagpip.target.markers import IMPLEMENTATIONS, MARKER_NAMES
from tagpip.target.presets import PRESETS, Preset, preset, preset_names
from tagpip.target.probe import PROBE_SOURCE
from tagpip.target.record import (
    RECORD_NAME,
    Recorded,
    RecordError,
    read_record,
    record_bytes,
    write_record,
)
from tagpip.target.value import (
    JSON_VERSION,
    Sourced,
    Target,
    TargetError,
    TargetOptions,
    UndefinedMarkerValue,
    interpreter_command,
)

__all__ = [
    "IMPLEMENTATIONS",
    "JSON_VERSION",
    "MARKER_NAMES",
    "PRESETS",
    "PROBE_SOURCE",
    "RECORD_NAME",
    "Preset",
    "RecordError",
    "Recorded",
    "Sourced",
    "Target",
    "TargetError",
    "TargetOptions",
    "UndefinedMarkerValue",
    "host_target",
    "interpreter_command",
    "pex_platform",
    "preset",
    "preset_names",
    "read_record",
    "record_bytes",
    "target_for_block",
    "target_from_facts",
    "target_from_file",
    "target_from_flags",
    "target_from_python",
    "target_from_sources",
    "target_from_spec",
    "write_record",
]
