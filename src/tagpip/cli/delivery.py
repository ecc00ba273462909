"""The path ``install`` and ``bundle`` share once the run is settled: resolve for the target,
say what the resolution chose that a user might not expect, deliver the wheels, and fetch and
install them into a folder with the terminal's progress.

The work is :mod:`tagpip.workflow`'s (:func:`~tagpip.workflow.deliverable`,
:func:`~tagpip.workflow.fetch_and_install`); this module adds the command line's voice and the
pip backend's fetch.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tagpip.cli.downgrades import report_downgrades
from tagpip.cli.explain import report_explanations

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from tagpip.cli.progress import Progress
    from tagpip.config import IndexOptions
    from tagpip.index import HttpIndex
    from tagpip.install import InstallResult, LinkMode
    from tagpip.resolution import Pin, Resolution
    from tagpip.target import Target
    from tagpip.workflow import Delivery, Inputs, RunSettings

__all__ = ["fetch_and_install", "resolve_pins"]


def resolve_pins(
    args: argparse.Namespace,
    inputs: Inputs,
    index: HttpIndex,
    target: Target,
    options: IndexOptions,
    settings: RunSettings,
    progress: Progress,
) -> tuple[Resolution, Delivery]:
    """Resolve the inputs for ``target``, say what the resolution chose that a user might not
    expect (``--explain``, downgrades), and turn the pins into the wheels to install: the one
    path ``install`` and ``bundle`` share (:func:`tagpip.workflow.fetch.deliverable`)."""
    from tagpip.cli.settle import resolve
    from tagpip.workflow import deliverable

    resolved = resolve(args, inputs, index, target, options, settings, on_progress=progress.status)
    progress.close()
    report_downgrades(args, [resolved.resolution], index)
    report_explanations(args, [resolved.resolution], index)
    return resolved.resolution, deliverable(resolved, inputs, settings)


def fetch_and_install(
    args: argparse.Namespace,
    pins: Sequence[Pin],
    options: IndexOptions,
    index: HttpIndex,
    target: Target,
    temp: Path,
    user_hashes: Mapping[NormalizedName, Sequence[str]],
    progress: Progress,
    *,
    folder: Path,
    upgrade: bool = False,
    link_mode: LinkMode = "clone",
    backend: str = "tagpip",
) -> InstallResult:
    """:func:`tagpip.workflow.fetch.fetch_and_install` with the terminal's progress, fetching with
    pip first when ``backend="pip"`` (``args`` carries the fetch options pip is given)."""
    from tagpip import workflow

    fetched = backend == "pip"
    if fetched:
        from tagpip.cli.pipbackend import fetch_with_pip

        progress.close()
        fetch_with_pip(args, pins, options, temp, user_hashes=user_hashes)
    else:
        progress.expect(len(pins), {pin.file.filename: pin.file.size for pin in pins})
    return workflow.fetch_and_install(
        pins,
        index,
        target,
        temp,
        user_hashes,
        folder=folder,
        upgrade=upgrade,
        link_mode=link_mode,
        fetched=fetched,
        on_progress=progress,
        on_status=progress.status,
        made_by=f"tagpip {getattr(args, 'command', 'install')}",
    )
