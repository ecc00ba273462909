"""pip's configuration: file discovery, precedence of files, sections, PIP_* and the command line.

Every test gives its own ``environ`` and, where files are read, its own file list: the machine's
real pip configuration never takes part.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tagpip.config.pip import (
    ConfigFile,
    IndexOptions,
    PipConfigError,
    config_files,
    default_cache_dir,
    load_index_options,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux locations")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), **extra}


# -- discovery -----------------------------------------------------------------------------------


def _base_and_site(site: str) -> list[ConfigFile]:
    found = []
    if os.path.abspath(sys.base_prefix) != os.path.abspath(site):
        found.append(ConfigFile("base", Path(sys.base_prefix, "pip.conf")))
    return [*found, ConfigFile("site", Path(site, "pip.conf"))]


@linux_only
def test_config_files_in_pips_order(home: Path, tmp_path: Path) -> None:
    environ = _env(
        home,
        XDG_CONFIG_DIRS=f"{tmp_path}/xdg1:{tmp_path}/xdg2",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        VIRTUAL_ENV=str(tmp_path / "venv"),
    )
    assert config_files(environ) == [
        ConfigFile("global", tmp_path / "xdg1/pip/pip.conf"),
        ConfigFile("global", tmp_path / "xdg2/pip/pip.conf"),
        ConfigFile("global", Path("/etc/pip.conf")),
        ConfigFile("user", home / ".pip/pip.conf"),
        ConfigFile("user", tmp_path / "config/pip/pip.conf"),
        *_base_and_site(str(tmp_path / "venv")),
    ]


@linux_only
def test_config_files_defaults(home: Path) -> None:
    assert config_files(_env(home))[:5] == [
        ConfigFile("global", Path("/etc/xdg/pip/pip.conf")),
        ConfigFile("global", Path("/etc/pip.conf")),
        ConfigFile("user", home / ".pip/pip.conf"),
        ConfigFile("user", home / ".config/pip/pip.conf"),
        _base_and_site(sys.prefix)[0],
    ]


def test_pip_config_file_devnull_means_no_files(home: Path) -> None:
    assert config_files(_env(home, PIP_CONFIG_FILE=os.devnull)) == []


def test_pip_config_file_comes_last_and_skips_user_files_when_it_exists(
    home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.conf"
    kinds = [f.kind for f in config_files(_env(home, PIP_CONFIG_FILE=str(missing)))]
    assert kinds.count("user") == 2
    assert kinds[-1] == "env"

    existing = _write(tmp_path / "pip.conf", "")
    found = config_files(_env(home, PIP_CONFIG_FILE=str(existing)))
    assert "user" not in [f.kind for f in found]
    assert found[-1] == ConfigFile("env", existing)


def test_isolated_skips_user_files(home: Path) -> None:
    assert "user" not in [f.kind for f in config_files(_env(home), isolated=True)]


# -- precedence ----------------------------------------------------------------------------------


def test_defaults(home: Path) -> None:
    options = load_index_options("download", {}, _env(home), files=[])
    assert options == IndexOptions(cache_dir=default_cache_dir(_env(home)))
    assert options.index_urls == ("https://pypi.org/simple/",)
    assert (options.timeout, options.retries) == (15.0, 5)


def test_later_files_override_earlier_ones(tmp_path: Path, home: Path) -> None:
    files = [
        ConfigFile("global", _write(tmp_path / "g.conf", "[global]\nindex-url = G\ntimeout = 1\n")),
        ConfigFile("user", _write(tmp_path / "u.conf", "[global]\nindex-url = U\nretries = 2\n")),
        ConfigFile("site", _write(tmp_path / "s.conf", "[global]\nindex-url = S\n")),
        ConfigFile("env", _write(tmp_path / "e.conf", "[global]\nindex_url = E\n")),
        ConfigFile("user", tmp_path / "missing.conf"),
    ]
    options = load_index_options("download", {}, _env(home), files=files)
    assert (options.index_url, options.timeout, options.retries) == ("E", 1.0, 2)
    assert options.config_files == tuple(f.path for f in files[:4])


def test_kind_order_not_list_order_decides(tmp_path: Path, home: Path) -> None:
    files = [
        ConfigFile("site", _write(tmp_path / "s.conf", "[global]\nindex-url = S\n")),
        ConfigFile("global", _write(tmp_path / "g.conf", "[global]\nindex-url = G\n")),
    ]
    assert load_index_options("download", {}, _env(home), files=files).index_url == "S"


def test_command_section_beats_global_in_any_file(tmp_path: Path, home: Path) -> None:
    files = [
        ConfigFile("global", _write(tmp_path / "g.conf", "[download]\nindex-url = D\n")),
        ConfigFile(
            "user",
            _write(tmp_path / "u.conf", "[global]\nindex-url = G\n[install]\nindex-url = I\n"),
        ),
    ]
    env = _env(home)
    assert load_index_options("download", {}, env, files=files).index_url == "D"
    assert load_index_options("install", {}, env, files=files).index_url == "I"
    assert load_index_options("lock", {}, env, files=files).index_url == "G"


def test_environment_beats_files_and_command_line_beats_environment(
    tmp_path: Path, home: Path
) -> None:
    files = [ConfigFile("user", _write(tmp_path / "u.conf", "[download]\nindex-url = F\n"))]
    env = _env(home, PIP_INDEX_URL="E")
    assert load_index_options("download", {}, env, files=files).index_url == "E"
    options = load_index_options("download", {"index_url": "C"}, env, files=files)
    assert options.index_url == "C"


def test_environment_variables(home: Path) -> None:
    env = _env(
        home,
        PIP_EXTRA_INDEX_URL="https://a/simple  https://b/simple\n",
        PIP_FIND_LINKS="/opt/wheels",
        PIP_NO_INDEX="yes",
        PIP_TRUSTED_HOST="a b:8080",
        PIP_CERT="~/ca.pem",
        PIP_CLIENT_CERT="/c.pem",
        PIP_DEFAULT_TIMEOUT="180",
        PIP_RETRIES="1",
        PIP_PROXY="http://proxy:3128",
        PIP_CACHE_DIR="~/pipcache",
        PIP_PRE="on",
        PIP_DISABLE_PIP_VERSION_CHECK="1",  # not an index option: ignored here
        PIP_VERSION="1",  # ignored by pip itself
    )
    assert load_index_options("download", {}, env, files=[]) == IndexOptions(
        extra_index_urls=("https://a/simple", "https://b/simple"),
        find_links=("/opt/wheels",),
        no_index=True,
        trusted_hosts=("a", "b:8080"),
        cert=f"{home}/ca.pem",
        client_cert="/c.pem",
        timeout=180.0,
        retries=1,
        proxy="http://proxy:3128",
        cache_dir=home / "pipcache" / "tagpip",
        pre=True,
    )


def test_empty_values_are_ignored(tmp_path: Path, home: Path) -> None:
    files = [ConfigFile("user", _write(tmp_path / "u.conf", "[global]\nindex-url = F\n"))]
    options = load_index_options("download", {}, _env(home, PIP_INDEX_URL=""), files=files)
    assert options.index_url == "F"


def test_command_line_lists_add_to_configured_ones(tmp_path: Path, home: Path) -> None:
    files = [ConfigFile("user", _write(tmp_path / "u.conf", "[global]\nfind-links = /a /b\n"))]
    env = _env(home, PIP_EXTRA_INDEX_URL="https://e/simple")
    cli: dict[str, object] = {
        "find_links": ["/c"],
        "extra_index_url": ["https://c/simple"],
        "trusted_host": [],
        "no_index": None,  # argparse's "not given"
        "pre": False,
        "requirements": ["demo"],  # not an index option: ignored
    }
    options = load_index_options("download", cli, env, files=files)
    assert options.find_links == ("/a", "/b", "/c")
    assert options.extra_index_urls == ("https://e/simple", "https://c/simple")
    assert (options.trusted_hosts, options.no_index, options.pre) == ((), False, False)


def test_command_line_keys(home: Path) -> None:
    cli: dict[str, object] = {
        "index_url": "https://i/simple",
        "no_index": True,
        "cert": "~/ca.pem",
        "timeout": 3.5,
        "retries": 0,
        "proxy": "http://p",
        "cache_dir": "/tmp/c",
        "no_cache_dir": True,
        "pre": True,
    }
    options = load_index_options("download", cli, _env(home, PIP_RETRIES="4"), files=[])
    assert options == IndexOptions(
        index_url="https://i/simple",
        no_index=True,
        cert=f"{home}/ca.pem",
        timeout=3.5,
        retries=0,
        proxy="http://p",
        cache_dir=Path("/tmp/c/tagpip"),
        no_cache=True,
        pre=True,
    )
    assert options.index_urls == ()


def test_isolated_ignores_environment_variables(home: Path) -> None:
    env = _env(home, PIP_INDEX_URL="E")
    options = load_index_options("download", {"isolated": True}, env, files=[])
    assert options.index_url == "https://pypi.org/simple/"


def test_no_cache_dir_false_still_disables_the_cache_as_pip_does(home: Path) -> None:
    for value in ("1", "false", "no"):
        env = _env(home, PIP_NO_CACHE_DIR=value)
        assert load_index_options("download", {}, env, files=[]).no_cache is True


def test_boolean_words(home: Path) -> None:
    for word, expected in [("Yes", True), ("t", True), ("off", False), ("0", False)]:
        env = _env(home, PIP_NO_INDEX=word)
        assert load_index_options("download", {}, env, files=[]).no_index is expected


@pytest.mark.parametrize(
    ("var", "value", "message", "hint"),
    [
        ("PIP_NO_INDEX", "maybe",
         "environment variable PIP_NO_INDEX: 'maybe' is not a valid value for no-index",
         "use a boolean value like yes/no, true/false or 1/0"),
        ("PIP_NO_CACHE_DIR", "sometimes",
         "environment variable PIP_NO_CACHE_DIR: 'sometimes' is not a valid value for "
         "no-cache-dir",
         "use a boolean value like yes/no, true/false or 1/0"),
        ("PIP_TIMEOUT", "soon",
         "environment variable PIP_TIMEOUT: 'soon' is not a valid value for timeout",
         "timeout takes a number"),
        ("PIP_RETRIES", "2.5",
         "environment variable PIP_RETRIES: '2.5' is not a valid value for retries",
         "retries takes a whole number"),
    ],
)  # fmt: skip
def test_invalid_values_name_where_they_came_from(
    home: Path, var: str, value: str, message: str, hint: str
) -> None:
    with pytest.raises(PipConfigError) as caught:
        load_index_options("download", {}, _env(home, **{var: value}), files=[])
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_invalid_value_in_a_file_names_the_file_and_section(tmp_path: Path, home: Path) -> None:
    conf = _write(tmp_path / "pip.conf", "[download]\npre = perhaps\n")
    with pytest.raises(PipConfigError) as caught:
        load_index_options("download", {}, _env(home), files=[ConfigFile("user", conf)])
    assert caught.value.message == f"{conf} [download]: 'perhaps' is not a valid value for pre"


def test_unreadable_file(tmp_path: Path, home: Path) -> None:
    conf = _write(tmp_path / "pip.conf", "index-url = no section header\n")
    with pytest.raises(PipConfigError, match=r"could not be read: File contains no section"):
        load_index_options("download", {}, _env(home), files=[ConfigFile("user", conf)])


def test_discovered_files_are_read(tmp_path: Path, home: Path) -> None:
    env = _env(
        home,
        XDG_CONFIG_DIRS=str(tmp_path / "none"),
        VIRTUAL_ENV=str(tmp_path / "venv"),
        PIP_CONFIG_FILE=str(tmp_path / "absent.conf"),
    )
    _write(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = U\nretries = 1\n")
    _write(tmp_path / "venv" / "pip.conf", "[global]\nindex-url = V\n")
    options = load_index_options("download", {}, env)
    assert (options.index_url, options.retries) == ("V", 1)
    isolated = load_index_options("download", {"isolated": True}, env)
    assert (isolated.index_url, isolated.retries) == ("V", 5)


@linux_only
def test_default_cache_dir(home: Path, tmp_path: Path) -> None:
    assert default_cache_dir(_env(home)) == home / ".cache" / "tagpip"
    env = _env(home, XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))
    assert default_cache_dir(env) == tmp_path / "xdg-cache" / "tagpip"


def test_the_real_environment_is_hermetic_in_tests() -> None:
    # conftest clears PIP_* and sets PIP_CONFIG_FILE=os.devnull: no file, no variable applies.
    options = load_index_options("download", {})
    assert (options.index_url, options.find_links, options.config_files) == (
        "https://pypi.org/simple/",
        (),
        (),
    )


def test_the_pip_conf_example_in_docs(tmp_path: Path, home: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "package-indexes.md").read_text()
    example = doc.split("```ini\n", 1)[1].split("```", 1)[0]
    conf = _write(tmp_path / "pip.conf", example)
    options = load_index_options("download", {}, _env(home), files=[ConfigFile("user", conf)])
    assert (options.index_url, options.timeout, options.find_links) == (
        "https://mirror.example/simple/",
        30.0,
        ("/srv/wheelhouse", "https://mirror.example/extra-wheels/"),
    )
    install = load_index_options("install", {}, _env(home), files=[ConfigFile("user", conf)])
    assert install.find_links == ()
