"""Shared fixtures. Every test runs hermetic: the machine's pip configuration (PIP_* variables,
pip.conf files) must not leak into what tagpip reads, so it is cleared for every test."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _hermetic_pip_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PIP_") or name.startswith("UV_"):
            monkeypatch.delenv(name, raising=False)
    # pip skips every configuration file when PIP_CONFIG_FILE is os.devnull; tagpip does too.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
