"""pip's configuration, read the way pip reads it, so that a user's pip setup just works.

Sources, lowest precedence first (pip's ``configuration.py`` and ``cli/parser.py``):

1. configuration files, by kind: *global* (``$XDG_CONFIG_DIRS/pip/pip.conf`` for each entry,
   default ``/etc/xdg``, then ``/etc/pip.conf``), *user* (``~/.pip/pip.conf``, then
   ``$XDG_CONFIG_HOME/pip/pip.conf``), *base* (``pip.conf`` in the base interpreter's prefix),
   *site* (``pip.conf`` in the virtual environment), then the file ``PIP_CONFIG_FILE`` names.
   A later file overrides an earlier one. ``PIP_CONFIG_FILE=os.devnull`` loads no file at all;
   when ``PIP_CONFIG_FILE`` names an existing file, or in isolated mode, the user files are
   skipped.
2. Within the merged files, section ``[global]`` is overridden by the command's own section
   (``[download]``, ``[install]``) — whatever file either came from.
3. ``PIP_*`` environment variables (``PIP_EXTRA_INDEX_URL`` -> ``extra-index-url``), unless
   isolated.
4. The command line. As in pip, list options given on the command line (``--extra-index-url``,
   ``--find-links``, ``--trusted-host``) add to the configured ones; others replace them.

Values convert as pip converts them: booleans by pip's ``strtobool`` words, lists split on
whitespace, empty values ignored, and ``no-cache-dir`` set to any boolean disables the cache.

:func:`load_index_options` applies the index options. :func:`load_pip_settings` reads the rest,
so that nothing in a user's pip setup is silently dropped: ``constraint`` and ``require-hashes``
are applied by the fetching commands; options that only change how pip presents itself
(:data:`QUIET_OPTIONS`) are ignored quietly; every other option of pip's command that tagpip does
not apply from configuration is reported (:attr:`PipSettings.unapplied`), so that the command can
say so in one line. A key that is no option of pip's command is ignored, as pip ignores it.
"""

from __future__ import annotations

import configparser
import locale
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tagpip.config.indexrules import (
    DEFAULT_STRATEGY,
    IndexRuleError,
    is_url,
    parse_strategy,
    same_index,
)
from tagpip.config.releases import ReleaseControl
from tagpip.errors import TagpipError

__all__ = [
    "DEFAULT_INDEX_URL",
    "PIP_COMMAND_OPTIONS",
    "QUIET_OPTIONS",
    "ConfigFile",
    "ConfiguredOption",
    "IndexOptions",
    "PipConfigError",
    "PipSettings",
    "config_files",
    "default_cache_dir",
    "load_index_options",
    "load_pip_settings",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
_DEFAULT_TIMEOUT = 15.0  # pip's defaults
_DEFAULT_RETRIES = 5

Kind = Literal["global", "user", "base", "site", "env"]
# pip's OVERRIDE_ORDER for files; environment variables come after all of them.
_FILE_ORDER: tuple[Kind, ...] = ("global", "user", "base", "site", "env")
_ENV_SECTION = ":env:"
_ENV_NAMES_IGNORED = ("version", "help")


class PipConfigError(TagpipError):
    """pip's configuration (a file, a ``PIP_*`` variable) holds something pip would refuse too."""


@dataclass(frozen=True)
class IndexOptions:
    """Where packages come from and how to reach them: pip's index options, fully resolved.

    ``cache_dir`` is the folder tagpip caches HTTP responses in: by default tagpip's own folder
    in the platform's cache location (``~/.cache/tagpip`` on Linux); when pip's ``cache-dir`` is
    configured, a ``tagpip`` folder inside it, so pip's own entries are never touched.
    ``timeout`` is in seconds; ``retries`` is the number of retries after the first attempt.
    ``refresh`` (tagpip's own, from ``--refresh``; no pip setting) revalidates every cached
    project page with the index, even one the index said is still fresh.
    ``config_files`` lists the configuration files that were read, for ``-v`` output.
    """

    index_url: str = DEFAULT_INDEX_URL
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    trusted_hosts: tuple[str, ...] = ()
    cert: str | None = None
    client_cert: str | None = None
    timeout: float = _DEFAULT_TIMEOUT
    retries: int = _DEFAULT_RETRIES
    proxy: str | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    # --pre, or pip 26's per-project release control once a file or option names projects.
    pre: bool | ReleaseControl = False
    refresh: bool = False
    config_files: tuple[Path, ...] = ()
    # Which index serves a project (tagpip.config.indexrules; uv's rules, no pip setting): the
    # indexes named with --index NAME=URL as (name, url), the --index-for pins as (project, name or
    # URL), and the strategy by its canonical name.
    named_indexes: tuple[tuple[str, str], ...] = ()
    index_pins: tuple[tuple[str, str], ...] = ()
    index_strategy: str = DEFAULT_STRATEGY

    @property
    def index_urls(self) -> tuple[str, ...]:
        """The indexes searched for a project that is not pinned, in uv's order: the named
        indexes (``--index NAME=URL``), the extra indexes, then the index (``--index-url``),
        each once (the first place it is given); none with ``no_index``."""
        if self.no_index:
            return ()
        found: list[str] = []
        for url in (*(u for _, u in self.named_indexes), *self.extra_index_urls, self.index_url):
            if not any(same_index(url, seen) for seen in found):
                found.append(url)
        return tuple(found)

    def index_url_of(self, reference: str) -> str | None:
        """The URL an index reference stands for: a name given with ``--index NAME=URL``, or a
        URL (the configured index with that URL when there is one, so that its credentials
        apply); None for a name no index has."""
        if not is_url(reference):
            return next((u for n, u in self.named_indexes if n == reference.lower()), None)
        configured = (*(u for _, u in self.named_indexes), *self.extra_index_urls, self.index_url)
        return next((u for u in configured if same_index(u, reference)), reference)

    @property
    def pinned(self) -> dict[str, str]:
        """Each pinned project (normalised) and the URL of its index; the last pin of a project
        wins, as a later option does."""
        found: dict[str, str] = {}
        for project, reference in self.index_pins:
            url = self.index_url_of(reference)
            if url is not None:
                found[project] = url
        return found


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file location pip would look at, and which kind it is."""

    kind: Kind
    path: Path


# pip option long name (as written in files and PIP_* names) -> (IndexOptions field, value type)
_ValueType = Literal["str", "path", "list", "bool", "float", "int", "no-cache"]
_OPTIONS: dict[str, tuple[str, _ValueType]] = {
    "index-url": ("index_url", "str"),
    "pypi-url": ("index_url", "str"),
    "extra-index-url": ("extra_index_urls", "list"),
    "find-links": ("find_links", "list"),
    "no-index": ("no_index", "bool"),
    "trusted-host": ("trusted_hosts", "list"),
    "cert": ("cert", "path"),
    "client-cert": ("client_cert", "path"),
    "timeout": ("timeout", "float"),
    "default-timeout": ("timeout", "float"),
    "retries": ("retries", "int"),
    "proxy": ("proxy", "str"),
    "cache-dir": ("cache_dir", "path"),
    "no-cache-dir": ("no_cache", "no-cache"),
    "pre": ("pre", "bool"),
}

# Command-line keys: argparse destinations of tagpip's fetch options, and the field names.
_CLI_KEYS: dict[str, str] = {
    "index_url": "index_url",
    "extra_index_url": "extra_index_urls",
    "extra_index_urls": "extra_index_urls",
    "find_links": "find_links",
    "no_index": "no_index",
    "trusted_host": "trusted_hosts",
    "trusted_hosts": "trusted_hosts",
    "cert": "cert",
    "client_cert": "client_cert",
    "timeout": "timeout",
    "retries": "retries",
    "proxy": "proxy",
    "cache_dir": "cache_dir",
    "no_cache_dir": "no_cache",
    "no_cache": "no_cache",
    "pre": "pre",
    "refresh": "refresh",
    "named_indexes": "named_indexes",
    "index_pins": "index_pins",
    "index_strategy": "index_strategy",
}
_LIST_FIELDS = ("extra_index_urls", "find_links", "trusted_hosts")


def _home(environ: Mapping[str, str]) -> str:
    if sys.platform == "win32":
        home = environ.get("USERPROFILE")
    else:
        home = environ.get("HOME")
    return home or os.path.expanduser("~")


def _expand_user(path: str, environ: Mapping[str, str]) -> str:
    if path == "~" or path.startswith(("~/", "~" + os.sep)):
        return _home(environ) + path[1:]
    return path


def _config_basename() -> str:
    return "pip.ini" if sys.platform == "win32" else "pip.conf"


def _global_dirs(environ: Mapping[str, str]) -> list[str]:
    """pip's ``appdirs.site_config_dirs("pip")``."""
    if sys.platform == "darwin":
        return ["/Library/Application Support/pip"]
    if sys.platform == "win32":
        return [os.path.join(environ.get("ALLUSERSPROFILE") or r"C:\ProgramData", "pip")]
    xdg = environ.get("XDG_CONFIG_DIRS", "")
    if not xdg.strip():
        xdg = "/etc/xdg"
    return [os.path.join(d, "pip") for d in xdg.split(os.pathsep)] + ["/etc"]


def _user_dir(environ: Mapping[str, str]) -> str:
    """pip's ``appdirs.user_config_dir("pip")``."""
    home = _home(environ)
    if sys.platform == "darwin":
        app_support = os.path.join(home, "Library", "Application Support", "pip")
        return app_support if os.path.isdir(app_support) else os.path.join(home, ".config", "pip")
    if sys.platform == "win32":
        return os.path.join(
            environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming"), "pip"
        )
    xdg = environ.get("XDG_CONFIG_HOME", "")
    if not xdg.strip():
        xdg = os.path.join(home, ".config")
    return os.path.join(xdg, "pip")


def config_files(environ: Mapping[str, str], *, isolated: bool = False) -> list[ConfigFile]:
    """The configuration files pip would read, lowest precedence first (they may not exist).

    Empty when ``PIP_CONFIG_FILE`` is ``os.devnull``. The *site* file is the one of the active
    virtual environment (``$VIRTUAL_ENV``), else of the interpreter running tagpip.
    """
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    name = _config_basename()
    found: list[ConfigFile] = [ConfigFile("global", Path(d, name)) for d in _global_dirs(environ)]
    if not isolated and not (env_file and os.path.exists(env_file)):
        legacy = os.path.join(_home(environ), "pip" if sys.platform == "win32" else ".pip", name)
        found += [
            ConfigFile("user", Path(legacy)),
            ConfigFile("user", Path(_user_dir(environ), name)),
        ]
    site = environ.get("VIRTUAL_ENV") or sys.prefix
    if os.path.abspath(sys.base_prefix) != os.path.abspath(site):
        found.append(ConfigFile("base", Path(sys.base_prefix, name)))
    found.append(ConfigFile("site", Path(site, name)))
    if env_file:
        found.append(ConfigFile("env", Path(env_file)))
    return found


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """tagpip's own cache folder in the platform's user cache location (as pip finds its own)."""
    home = _home(environ)
    if sys.platform == "darwin":
        return Path(home, "Library", "Caches", "tagpip")
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return Path(local, "tagpip", "Cache")
    xdg = environ.get("XDG_CACHE_HOME", "")
    if not xdg.strip():
        xdg = os.path.join(home, ".cache")
    return Path(xdg, "tagpip")


@dataclass(frozen=True)
class _Setting:
    value: str
    origin: str  # for messages: "/etc/pip.conf [global]", "environment variable PIP_TIMEOUT"


def _read_file(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    if not path.exists():
        return parser
    encoding = locale.getpreferredencoding(False)
    try:
        parser.read(path, encoding=encoding)
    except UnicodeDecodeError:
        raise PipConfigError(
            f"pip configuration file {path} contains invalid {encoding} characters"
        ) from None
    except configparser.Error as error:
        raise PipConfigError(
            f"pip configuration file {path} could not be read: {error}",
            hint="fix the file, or set PIP_CONFIG_FILE=/dev/null to ignore pip's configuration",
        ) from None
    except OSError as error:
        raise PipConfigError(
            f"pip configuration file {path} could not be read: {error.strerror or error}"
        ) from None
    return parser


def _merged_settings(
    files: Sequence[ConfigFile], environ: Mapping[str, str], *, isolated: bool
) -> dict[str, _Setting]:
    """``section.name`` -> setting, merged in pip's override order (pip's ``_dictionary``)."""
    by_kind: dict[str, dict[str, _Setting]] = {kind: {} for kind in _FILE_ORDER}
    for config in files:
        parser = _read_file(config.path)
        for section in parser.sections():
            for name, value in parser.items(section):
                key = f"{section}.{_normalize_name(name)}"
                by_kind[config.kind][key] = _Setting(value, f"{config.path} [{section}]")
    merged: dict[str, _Setting] = {}
    for kind in _FILE_ORDER:
        merged.update(by_kind[kind])
    if not isolated:
        for var, value in environ.items():
            if var.startswith("PIP_"):
                name = var[4:].lower()
                if name not in _ENV_NAMES_IGNORED:
                    key = f"{_ENV_SECTION}.{_normalize_name(name)}"
                    merged[key] = _Setting(value, f"environment variable {var}")
    return merged


def _normalize_name(name: str) -> str:
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")


def _strtobool(setting: _Setting, name: str) -> bool:
    word = setting.value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise PipConfigError(
        f"{setting.origin}: {setting.value!r} is not a valid value for {name}",
        hint="use a boolean value like yes/no, true/false or 1/0",
    )


def _convert(setting: _Setting, name: str, kind: _ValueType, environ: Mapping[str, str]) -> object:
    if kind == "bool":
        return _strtobool(setting, name)
    if kind == "no-cache":
        # pip disables the cache for any boolean, false included (kept for compatibility).
        _strtobool(setting, name)
        return True
    if kind == "list":
        return tuple(setting.value.split())
    if kind == "path":
        return _expand_user(setting.value, environ)
    if kind in ("float", "int"):
        try:
            return float(setting.value) if kind == "float" else int(setting.value)
        except ValueError:
            word = "a number" if kind == "float" else "a whole number"
            raise PipConfigError(
                f"{setting.origin}: {setting.value!r} is not a valid value for {name}",
                hint=f"{name} takes {word}",
            ) from None
    return setting.value


def _configured(
    command: str, merged: Mapping[str, _Setting], environ: Mapping[str, str]
) -> dict[str, object]:
    """Field -> value from files and environment, applied in pip's section order."""
    sections: dict[str, list[tuple[str, _Setting]]] = {"global": [], command: [], _ENV_SECTION: []}
    for key, setting in merged.items():
        if not setting.value:
            continue  # pip ignores empty values
        section, name = key.split(".", 1)
        if section in sections:
            sections[section].append((name, setting))
    values: dict[str, object] = {}
    for section in ("global", command, _ENV_SECTION):
        for name, setting in sections[section]:
            option = _OPTIONS.get(name)
            if option is not None:
                field_name, kind = option
                values[field_name] = _convert(setting, name, kind, environ)
    return values


def _cli_values(
    cli_overrides: Mapping[str, object], environ: Mapping[str, str]
) -> dict[str, object]:
    """Field -> value for what the command line actually gave (None, False, [] mean not given)."""
    values: dict[str, object] = {}
    for key, value in cli_overrides.items():
        field_name = _CLI_KEYS.get(key)
        if field_name is None or value is None or value is False:
            continue
        if field_name in _LIST_FIELDS:
            if isinstance(value, str):
                raise TypeError(f"{key} must be a list of strings, not a string")
            items = tuple(str(v) for v in value)  # type: ignore[attr-defined]
            if items:
                values[field_name] = items
        elif field_name in ("cert", "client_cert", "cache_dir"):
            values[field_name] = _expand_user(os.fspath(value), environ)  # type: ignore[call-overload]
        else:
            values[field_name] = value
    return values


def load_index_options(
    command: str,
    cli_overrides: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    *,
    files: Sequence[ConfigFile] | None = None,
) -> IndexOptions:
    """Resolve pip's index options for ``command`` (``"download"``, ``"install"``).

    ``cli_overrides`` is what the command line gave, keyed by tagpip's argparse destinations
    (``index_url``, ``extra_index_url``, ``find_links``, ``no_index``, ``trusted_host``,
    ``cert``, ``client_cert``, ``timeout``, ``retries``, ``proxy``, ``cache_dir``,
    ``no_cache_dir``, ``pre``, ``isolated``) or by :class:`IndexOptions` field names; None,
    False and empty lists count as not given, other keys are ignored, so ``vars(args)`` can be
    passed as it is. ``environ`` defaults to ``os.environ``; ``files`` replaces the discovery
    of configuration files (see :func:`config_files`). Raises :class:`PipConfigError` for a value
    pip would refuse.
    """
    env = os.environ if environ is None else environ
    isolated = bool(cli_overrides.get("isolated"))
    found = config_files(env, isolated=isolated) if files is None else list(files)
    merged = _merged_settings(found, env, isolated=isolated)
    values = _configured(command, merged, env)
    cli = _cli_values(cli_overrides, env)
    for name in _LIST_FIELDS:
        if name in cli:
            cli[name] = (*values.get(name, ()), *cli[name])  # type: ignore[misc]
    values.update(cli)
    strategy = env.get("UV_INDEX_STRATEGY", "").strip()
    if "index_strategy" not in values and strategy and not isolated:
        # uv's variable, read as uv reads it (tagpip's rule is uv's; pip has none).
        try:
            values["index_strategy"] = parse_strategy(strategy)
        except IndexRuleError as error:
            raise PipConfigError(
                f"environment variable UV_INDEX_STRATEGY: {error.message}", hint=error.hint
            ) from None

    cache_dir = values.pop("cache_dir", None)
    options = IndexOptions(
        cache_dir=Path(str(cache_dir), "tagpip") if cache_dir else default_cache_dir(env),
        config_files=tuple(f.path for f in found if f.path.is_file()),
        **values,  # type: ignore[arg-type]
    )
    _check(options)
    return options


def _check(options: IndexOptions) -> None:
    if options.timeout <= 0:
        raise PipConfigError(
            f"the timeout must be a positive number of seconds, not {options.timeout}"
        )
    if options.retries < 0:
        raise PipConfigError(f"retries must be 0 or more, not {options.retries}")
    # The command line and the files are checked with their spans first (tagpip.workflow.inputs);
    # this holds a program that builds the options itself to the same rules.
    names = [name for name, _ in options.named_indexes]
    for project, reference in options.index_pins:
        if options.no_index:
            raise PipConfigError(
                f"--index-for {project}={reference}: --no-index turns every index off",
                hint="leave out --no-index, or the pin",
            )
        if options.index_url_of(reference) is None:
            known = ", ".join(names) if names else "none"
            raise PipConfigError(
                f"--index-for {project}={reference}: no index is named {reference!r} "
                f"(named: {known})",
                hint=f"name it with --index {reference}=URL, or give the index's URL",
            )


# -- the other options: applied, ignored quietly, or reported --------------------------------------

# The long option names pip 26.3's ``pip download`` and ``pip install`` take (every alias; a
# configuration key is any of them, as pip's ``_update_defaults`` looks keys up by ``--KEY``).
# tests/test_pipconfig.py compares these with real pip's parser.
_PIP_SHARED = (
    *("abi", "all-releases", "build-constraint", "cache-dir", "cert", "check-build-dependencies"),
    *("client-cert", "constraint", "debug", "default-timeout", "disable-pip-version-check"),
    *("exists-action", "extra-index-url", "find-links", "group", "ignore-requires-python"),
    *("implementation", "index-url", "isolated", "keyring-provider", "local-log", "log"),
    *("log-file", "no-binary", "no-build-isolation", "no-cache-dir", "no-clean", "no-color"),
    *("no-dependencies", "no-deps", "no-index", "no-input", "no-proxy-env"),
    *("no-python-version-warning", "no-require-hashes", "only-binary", "only-dependencies"),
    *("only-deps", "only-final", "platform", "pre", "prefer-binary", "progress-bar", "proxy"),
    *("pypi-url", "python", "python-version", "quiet", "refresh-package", "require-hashes"),
    *("require-venv", "require-virtualenv", "requirement", "requirements-from-script"),
    *("resume-retries", "retries", "source", "source-dir", "source-directory", "src", "timeout"),
    *("trusted-host", "uploaded-prior-to", "use-deprecated", "use-feature", "use-pep517"),
    "verbose",
)
PIP_COMMAND_OPTIONS: dict[str, frozenset[str]] = {
    "download": frozenset((*_PIP_SHARED, "dest", "destination-dir", "destination-directory")),
    "install": frozenset(
        (
            *_PIP_SHARED,
            *("break-system-packages", "compile", "config-settings", "dry-run", "editable"),
            *("force-reinstall", "ignore-installed", "no-compile", "no-user"),
            *("no-warn-conflicts", "no-warn-script-location", "prefix", "report", "root"),
            *("root-user-action", "target", "upgrade", "upgrade-strategy", "user"),
        )
    ),
}
# tagpip's commands -> the pip command whose options a configuration may set for them.
_PIP_COMMAND = {
    "download": "download",
    "lock": "download",
    "install": "install",
    "bundle": "install",
}

# Options that change how pip presents itself or talks, not what it fetches: ignored quietly.
QUIET_OPTIONS = frozenset(
    {
        *("debug", "disable-pip-version-check", "exists-action", "isolated", "local-log", "log"),
        *("log-file", "no-clean", "no-color", "no-input", "no-proxy-env"),
        *("no-python-version-warning", "no-warn-conflicts", "no-warn-script-location"),
        *("progress-bar", "quiet", "require-venv", "require-virtualenv", "resume-retries"),
        *("root-user-action", "use-deprecated", "use-feature", "verbose"),
    }
)
# Applied by the fetching commands (tagpip.cli.settle), besides the index options above.
_APPLIED_ELSEWHERE = frozenset({"constraint", "require-hashes"})


@dataclass(frozen=True)
class ConfiguredOption:
    """A pip option set in pip's configuration, and where (for messages)."""

    name: str
    origin: str  # "/etc/pip.conf [global]", "environment variable PIP_NO_DEPS"


@dataclass(frozen=True)
class PipSettings:
    """What pip's configuration says besides the index options (see :func:`load_pip_settings`).

    ``constraints`` are the constraints files ``constraint`` names (relative to the working
    directory, as in pip), set in ``constraint_origin``; ``require_hashes`` is pip's
    ``require-hashes``. ``unapplied`` lists, by name, the options of pip's command that tagpip
    does not apply from configuration and that would change what pip fetches. ``files`` and
    ``variables`` are the configuration files and ``PIP_*`` variables that were read.
    """

    constraints: tuple[str, ...] = ()
    constraint_origin: str | None = None
    require_hashes: bool = False
    unapplied: tuple[ConfiguredOption, ...] = ()
    files: tuple[Path, ...] = ()
    variables: tuple[str, ...] = ()


def load_pip_settings(
    command: str,
    environ: Mapping[str, str] | None = None,
    *,
    isolated: bool = False,
    files: Sequence[ConfigFile] | None = None,
) -> PipSettings:
    """The non-index part of pip's configuration for tagpip's ``command``, read as pip reads it.

    Sources and precedence are :func:`load_index_options`'s: for each option the last of
    ``[global]``, the command's section and ``PIP_*`` wins, and an empty value is ignored.
    Raises :class:`PipConfigError` for a ``require-hashes`` value pip would refuse.
    """
    env = os.environ if environ is None else environ
    found = config_files(env, isolated=isolated) if files is None else list(files)
    merged = _merged_settings(found, env, isolated=isolated)
    effective: dict[str, _Setting] = {}
    for section in ("global", command, _ENV_SECTION):
        for key, setting in merged.items():
            where, name = key.split(".", 1)
            if where == section and setting.value:
                effective[name] = setting
    known = PIP_COMMAND_OPTIONS[_PIP_COMMAND.get(command, "download")]
    constraint = effective.get("constraint")
    hashes = effective.get("require-hashes")
    unapplied = tuple(
        ConfiguredOption(name, effective[name].origin)
        for name in sorted(effective)
        if name in known
        and name not in _OPTIONS
        and name not in _APPLIED_ELSEWHERE
        and name not in QUIET_OPTIONS
    )
    # pip reads PIP_CONFIG_FILE even in isolated mode, and no other variable then.
    variables = tuple(
        sorted(v for v in env if v.startswith("PIP_") and (not isolated or v == "PIP_CONFIG_FILE"))
    )
    return PipSettings(
        constraints=tuple(constraint.value.split()) if constraint is not None else (),
        constraint_origin=constraint.origin if constraint is not None else None,
        require_hashes=_strtobool(hashes, "require-hashes") if hashes is not None else False,
        unapplied=unapplied,
        files=tuple(f.path for f in found if f.path.is_file()),
        variables=variables,
    )
