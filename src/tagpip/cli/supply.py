"""What a delivery is made of, for ``bundle``, ``install --target`` and ``lock``: the
``--sbom FILE`` and ``--deny-license`` options, the licence summary ``bundle`` prints, and the
SBOM written once the delivery is (docs/provenance.md).

The work is :mod:`tagpip.workflow.fetch`'s (:func:`~tagpip.workflow.fetch.declared_licences`,
:func:`~tagpip.workflow.fetch.delivery_sbom`), :mod:`tagpip.provenance.licences`' and
:mod:`tagpip.provenance.sbom`'s; what is here settles the options, says the warnings and writes the
file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from tagpip.index import Index
    from tagpip.lock import Lock
    from tagpip.provenance import Licence
    from tagpip.resolution import Pin, Resolution
    from tagpip.target import Target

__all__ = [
    "Supply",
    "add_supply_options",
    "check_sbom_path",
    "from_lock",
    "from_resolution",
    "licence_lines",
    "write_sbom",
]


def add_supply_options(parser: argparse.ArgumentParser) -> None:
    """``--sbom FILE`` and ``--deny-license LICENCES``."""
    group = parser.add_argument_group("what the delivery is made of (docs/provenance.md)")
    group.add_argument(
        "--sbom",
        metavar="FILE",
        help="write a CycloneDX 1.6 JSON SBOM of what is delivered to FILE: each project's "
        "version, file, sha256, source URL, declared licence and status, and the dependency "
        "graph for the target",
    )
    group.add_argument(
        "--deny-license",
        action="append",
        default=[],
        metavar="LICENCES",
        help="fail, before anything is written, when a project's declared licence needs one "
        "of these SPDX identifiers ('*' wildcards; comma-separated or repeated)",
    )


def check_sbom_path(args: argparse.Namespace) -> Path | None:
    """``--sbom``'s path, checked before anything is resolved (a folder that exists and can be
    written, not a folder itself); None without the option."""
    from tagpip.errors import UsageError
    from tagpip.fs import why_unwritable, writable

    if not getattr(args, "sbom", None):
        return None
    path = Path(args.sbom)
    if path.is_dir():
        raise UsageError(f"--sbom {args.sbom} is a folder; name a file")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UsageError(f"--sbom {args.sbom}: {parent} {what}")
    if not writable(parent):
        raise UsageError(
            f"--sbom {args.sbom}: {parent} cannot be written ({why_unwritable(parent)})"
        )
    return path


def _epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as the SBOM's timestamp (None without it: no timestamp)."""
    from tagpip.errors import UsageError

    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    try:
        return max(0, int(text))
    except ValueError:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={text!r} is not a whole number of seconds",
            hint="set it to a Unix time such as $(git log -1 --format=%ct), or unset it",
        ) from None


@dataclasses.dataclass
class Supply:
    """One delivery's pins and what is known of them, gathered while the index is open: the
    licences (checked against ``--deny-license`` when gathered), then the SBOM, made once the
    files are delivered and written by :func:`write_sbom` once the command has succeeded."""

    pins: Sequence[Pin]
    target: Target
    graph: Mapping[NormalizedName, Sequence[NormalizedName]]
    roots: Sequence[NormalizedName]
    sources: Mapping[NormalizedName, tuple[str, str | None]]
    hashes: Mapping[NormalizedName, Sequence[str]]
    licences: list[tuple[str, Licence]] = dataclasses.field(default_factory=list)
    sbom: dict[str, Any] | None = None

    def check(
        self, args: argparse.Namespace, index: Index, wheels: Sequence[Pin] | None = None
    ) -> None:
        """Read the licences (when a summary, a deny list or an SBOM needs them; from the
        metadata of ``wheels`` when the pins are sdists, as in a lock) and hold them against
        ``--deny-license``: denied ones fail the command here, before the delivery; those it
        cannot judge are warned about."""
        from tagpip.provenance import check_licences, parse_deny
        from tagpip.workflow import declared_licences

        deny = parse_deny(getattr(args, "deny_license", None) or ())
        self.licences = declared_licences(wheels or self.pins, index)
        for text in check_licences(self.licences, deny):
            _warn(args, text)

    def describe(
        self,
        index: Index,
        *,
        subject: str,
        folder: Path | None = None,
        prefix: str = "",
        fetched: Path | None = None,
    ) -> None:
        """Make the SBOM of the delivery (``folder``: the installed tree, at ``prefix`` in the
        delivery; ``fetched``: where the files were downloaded)."""
        from tagpip.workflow import delivery_sbom

        self.sbom = delivery_sbom(
            self.pins,
            index,
            self.target,
            subject=subject,
            graph=self.graph,
            roots=self.roots,
            licences=dict(self.licences),
            folder=folder,
            prefix=prefix,
            fetched=fetched,
            sources=self.sources,
            hashes=self.hashes,
            epoch=_epoch(),
        )


def from_resolution(
    resolution: Resolution,
    pins: Sequence[Pin],
    hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> Supply:
    """A delivery resolved in this run: ``pins`` as delivered (sources built), the graph and
    roots as resolved, and the sdist each built wheel came from."""
    sources = {
        pin.name: (pin.file.url, dict(pin.file.hashes).get("sha256"))
        for pin in resolution.pins
        if not pin.file.is_wheel
    }
    return Supply(
        pins, resolution.target, resolution.graph, resolution.roots, sources, hashes or {}
    )


def from_lock(
    lock: Lock,
    pins: Sequence[Pin],
    target: Target,
    index: Index,
    hashes: Mapping[NormalizedName, Sequence[str]],
) -> Supply:
    """A delivery read from a lock: each pin with the status (and index) the lock recorded,
    the graph read from the delivered projects' metadata
    (:func:`tagpip.workflow.fetch.graph_from_metadata`), and the locked sdist each built wheel came
    from."""
    from tagpip.workflow import graph_from_metadata

    # The recorded status, said to come from the index the lock names (a pylock's ``index``).
    statuses = {
        p.name: dataclasses.replace(p.status, index=p.index or p.status.index)
        for p in lock.packages
    }
    pins = [dataclasses.replace(p, status=statuses.get(p.name, p.status)) for p in pins]
    sources = {}
    for package in lock.packages:
        for file in package.files:
            if file.is_sdist and file.url:
                sources[package.name] = (file.url, dict(file.hashes).get("sha256"))
    graph, roots = graph_from_metadata(pins, index)
    return Supply(pins, target, graph, roots, sources, hashes)


def licence_lines(licences: Sequence[tuple[str, Licence]]) -> list[str]:
    """The licence summary: one line per licence with the projects under it, unknown last."""
    from tagpip.provenance import summary

    grouped = summary(licences)
    if not grouped:
        return []
    width = max(len(label) for label, _ in grouped)
    lines = ["licences (as each project declares it):"]
    for label, projects in grouped:
        lines.append(f"  {label:<{width}}  {', '.join(projects)}")
    return lines


def write_sbom(path: Path | None, supply: Supply | None) -> None:
    """Write the SBOM, atomically (never a partial file)."""
    if path is None or supply is None or supply.sbom is None:
        return
    from tagpip.errors import TagpipError
    from tagpip.fs import write_text_atomically
    from tagpip.provenance import render

    try:
        write_text_atomically(path, render(supply.sbom))
    except OSError as error:
        raise TagpipError(
            f"cannot write --sbom {path}: {error.strerror or error}",
            hint="free some space, or name a file in a folder you can write",
        ) from None


def _warn(args: argparse.Namespace, text: str) -> None:
    if int(getattr(args, "quiet", 0) or 0) < 2:  # as pip: -q keeps warnings, -qq drops them
        sys.stderr.write(f"warning: {text}\n")
