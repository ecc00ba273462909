"""pip's installation report (``--report``) and pip's ``--require-hashes`` rule.

The report follows pip's documented format, version 1: an ``install`` list with each item's
``download_info``, ``requested``, ``requested_extras`` and core metadata as JSON (the PEP 566
conversion: lower-case keys with underscores, multiple-use fields as lists), plus the
``environment`` whose markers were used, which for tagpip is the target's, not the host's.

A pin tagpip built from its sdist is reported as pip reports a built sdist: ``download_info``
names the sdist (its URL and hash), ``metadata`` is the built wheel's. One tagpip-specific key,
``tagpip_built``, says it was built and into what: ``from_sdist`` (the sdist's file name),
``wheel`` and ``wheel_sha256`` (the wheel delivered). A pin the target forced below the newest
release the user's lines allow carries ``tagpip_downgrade``: ``newest`` (that release) and
``reason`` (why the target cannot have it), the same as the ``note:`` line on stderr. Other
readers ignore both keys.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from packaging.metadata import Metadata, RawMetadata

from tagpip import __version__
from tagpip.errors import TagpipError
from tagpip.fs import write_text_atomically
from tagpip.index import Index
from tagpip.resolution import Pin, Resolution
from tagpip.target import Target
from tagpip.urls import redact_url

__all__ = ["report_data", "write_report"]


def _metadata_json(metadata: Metadata) -> dict[str, Any]:
    """Core metadata as JSON the way pip's report writes it (PEP 566's conversion)."""
    out: dict[str, Any] = {}
    for key in RawMetadata.__annotations__:
        try:
            value = getattr(metadata, key)
        except (AttributeError, ValueError):
            continue  # a field the index already judged invalid and dropped
        if value is None or value == [] or value == {}:
            continue
        if key == "project_urls" and isinstance(value, Mapping):
            out["project_url"] = [f"{label}, {url}" for label, url in value.items()]
        elif isinstance(value, (list, tuple)):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def report_data(
    resolution: Resolution, pins: Sequence[Pin], index: Index, target: Target
) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    from tagpip.resolution import downgrades

    roots = set(resolution.roots)
    resolved = {pin.name: pin.file for pin in resolution.pins}
    forced = {d.name: d for d in downgrades(resolution, index)}
    items = []
    for pin in pins:
        metadata = index.metadata(pin.file)
        source = resolved.get(pin.name, pin.file)
        built = not source.is_wheel and source.url != pin.file.url
        origin = source if built else pin.file
        hashes = dict(origin.hashes)
        archive: dict[str, Any] = {}
        if "sha256" in hashes:
            archive["hash"] = f"sha256={hashes['sha256']}"
        if hashes:
            archive["hashes"] = hashes
        item: dict[str, Any] = {
            "download_info": {"url": redact_url(origin.url), "archive_info": archive},
            "is_direct": any(line.requirement.url for line in pin.lines),
            "is_yanked": pin.file.yanked is not None,
            "requested": pin.name in roots,
            "metadata": _metadata_json(metadata),
        }
        if pin.extras:
            item["requested_extras"] = sorted(pin.extras)
        if built:
            item["tagpip_built"] = {
                "from_sdist": source.filename,
                "wheel": pin.file.filename,
                "wheel_sha256": dict(pin.file.hashes).get("sha256"),
            }
        downgrade = forced.get(pin.name)
        if downgrade is not None:
            item["tagpip_downgrade"] = {
                "newest": str(downgrade.newest),
                "reason": f"{downgrade.newest} {downgrade.reason}",
            }
        items.append(item)
    return {
        "version": "1",
        "pip_version": f"tagpip {__version__}",
        "install": items,
        "environment": dict(sorted(target.marker_environment.items())),
    }


def write_report(
    path: str, resolution: Resolution, pins: Sequence[Pin], index: Index, target: Target
) -> None:
    """Write the report to ``path`` atomically (``-`` for stdout)."""
    text = json.dumps(report_data(resolution, pins, index, target), indent=2) + "\n"
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise TagpipError(f"cannot write the report {path}: {error.strerror or error}") from None
