"""Shared fixtures. Every test runs hermetic: the machine's pip configuration (PIP_* variables,
pip.conf files) must not leak into what tagpip reads, so it is cleared for every test."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# These machines are shared and noisy: a property's answer never depends on how fast its inputs
# are drawn, so neither the time-based health check nor a per-example deadline may fail a test.
settings.register_profile(
    "tagpip", suppress_health_check=[HealthCheck.too_slow], deadline=None, parent=settings.default
)
settings.load_profile("tagpip")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The live PyPI tests are opt-in: they run only when the ``-m`` expression names them
    (``-m pypi``). Any other ``-m``, such as the quick loop's ``-m "not slow"``, replaces the
    configured ``-m 'not pypi'`` and would otherwise reach PyPI."""
    if "pypi" in (config.getoption("markexpr") or ""):
        return
    live = [item for item in items if item.get_closest_marker("pypi") is not None]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item.get_closest_marker("pypi") is None]


@pytest.fixture(autouse=True)
def _hermetic_pip_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in list(os.environ):
        if name.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(name, raising=False)
    # pip skips every configuration file when PIP_CONFIG_FILE is os.devnull; tagpip does too.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    # tagpip's default cache (HTTP responses, wheels) is the test's own, never the user's: a
    # wheel cached by one test must not serve another.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture(autouse=True)
def _every_pylock_is_valid_pep_751(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every pylock.toml any test makes (one target or several, sdists, local and direct wheels)
    # must be accepted by packaging's PEP 751 reader, not only by tagpip's own: format_lock is
    # the one way the CLI writes one.
    import tagpip.lock.files
    import tagpip.lock.pylock
    from support.pylock_oracle import check_pylock

    original = tagpip.lock.pylock.format_pylock

    def checked(lock: tagpip.lock.files.Lock, *, command: str) -> str:
        text = original(lock, command=command)
        check_pylock(text)
        return text

    monkeypatch.setattr(tagpip.lock.files, "format_pylock", checked)


# -- a real index on 127.0.0.1 (tests/support/server.py) ----------------------------------------

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from support.server import IndexServer  # noqa: E402


@pytest.fixture
def index_server(tmp_path: Path) -> Iterator[IndexServer]:
    """A running simple-repository server over an empty folder (``.root``); add files with
    ``.add_wheel(name, version, tags=..., requires_dist=...)`` / ``.add_sdist``, point tagpip at
    ``.url``, and read what was fetched in ``.requests``. Switches and ``overrides`` (fault
    injection per path) are described in ``tests/support/server.py``."""
    with IndexServer(tmp_path / "index-root") as server:
        yield server


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """An empty HTTP cache folder for one test."""
    return tmp_path / "cache"


@pytest.fixture
def started() -> Iterator[list[list[str]]]:
    """The argv of every process started while the test runs (an audit hook, so nothing that
    tagpip or the libraries it calls start can hide; see tests/support/started.py)."""
    from support.started import recording

    with recording() as argvs:
        yield argvs
