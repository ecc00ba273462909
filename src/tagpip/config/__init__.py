"""pip's configuration, read the way pip reads it (files, ``PIP_*``, the command line), and
the option words that files and the command line share: the index rules (uv's
strategies, named indexes, pins) and pip 26's release control.
"""

from __future__ import annotations

from tagpip.config.indexrules import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    STRATEGY_ALIASES,
    IndexRuleError,
    is_url,
    parse_index,
    parse_pin,
    parse_strategy,
    same_index,
)
from tagpip.config.pip import (
    DEFAULT_INDEX_URL,
    PIP_COMMAND_OPTIONS,
    QUIET_OPTIONS,
    ConfigFile,
    ConfiguredOption,
    IndexOptions,
    PipConfigError,
    PipSettings,
    config_files,
    default_cache_dir,
    load_index_options,
    load_pip_settings,
)
from tagpip.config.releases import Kind, ReleaseControl

__all__ = [
    "DEFAULT_INDEX_URL",
    "DEFAULT_STRATEGY",
    "PIP_COMMAND_OPTIONS",
    "QUIET_OPTIONS",
    "STRATEGIES",
    "STRATEGY_ALIASES",
    "ConfigFile",
    "ConfiguredOption",
    "IndexOptions",
    "IndexRuleError",
    "Kind",
    "PipConfigError",
    "PipSettings",
    "ReleaseControl",
    "config_files",
    "default_cache_dir",
    "is_url",
    "load_index_options",
    "load_pip_settings",
    "parse_index",
    "parse_pin",
    "parse_strategy",
    "same_index",
]
