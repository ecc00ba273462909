"""A CycloneDX 1.6 JSON SBOM of what tagpip delivers (``--sbom FILE`` on ``bundle``,
``install --target`` and ``lock``).

One component per delivered project: its name and version, a package URL
(``pkg:pypi/name@version?file_name=...``, with ``repository_url`` when the index is not PyPI), the
sha256 of the very file delivered, the URL it came from (a ``distribution`` reference carrying the
same hash; a wheel built from an sdist also names the sdist, as a ``source-distribution``
reference), the licence it declares (:mod:`tagpip.provenance.licences`: a PEP 639
``License-Expression`` as an SPDX expression, else its classifiers or ``License`` field as named
licences, all acknowledged as *declared*), its PEP 792 status and index as properties, and every
SBOM the wheel carries in ``.dist-info/sboms/`` (PEP 770) as a ``bom`` reference to the file where
the delivery keeps it, with its hash. The dependency graph is the resolution's, for the target, from
the delivery itself (``metadata.component``) down to every project; the target is a set of
properties of the delivery.

The document depends only on what was delivered: no random serial number and no clock. The
serial number is a UUID made from the document's own content, and a timestamp is written only
when ``SOURCE_DATE_EPOCH`` gives one, so the same bundle gives the same SBOM, byte for byte, as
its zip is.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from packaging.metadata import parse_email
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tagpip import __version__
from tagpip.hashes import file_digests
from tagpip.index import ACTIVE, ProjectStatus
from tagpip.provenance.licences import Licence, licence_of
from tagpip.target import Target
from tagpip.urls import strip_credentials

__all__ = [
    "Component",
    "Embedded",
    "Installed",
    "component",
    "document",
    "purl",
    "read_folder",
    "render",
]

SPEC_VERSION = "1.6"
_PYPI = ("https://pypi.org/", "https://files.pythonhosted.org/")
_TARGET_VALUES = ("implementation_name", "python_version", "sys_platform", "platform_machine")
_SUBJECT = "tagpip-delivery"


@dataclass(frozen=True)
class Embedded:
    """An SBOM a wheel carries (PEP 770): where the delivery keeps it (a posix path relative to
    the delivery's root) and its sha256."""

    path: str
    sha256: str


@dataclass(frozen=True)
class Installed:
    """What a delivered folder says of one project: its name as its metadata spells it, its
    declared licence and the SBOMs it carries."""

    display: str
    licence: Licence
    sboms: tuple[Embedded, ...] = ()


@dataclass(frozen=True)
class Component:
    """One delivered project, as the SBOM lists it (see the module's description)."""

    name: NormalizedName
    version: Version
    filename: str
    url: str | None
    sha256: str | None
    licence: Licence = field(default_factory=Licence)
    display: str = ""
    status: ProjectStatus = ACTIVE
    index: str | None = None
    source: tuple[str, str | None] | None = None  # (sdist URL, its sha256) of a built wheel
    sboms: tuple[Embedded, ...] = ()

    @property
    def ref(self) -> str:
        return purl(self.name, self.version, self.filename, self.index, self.url)


def _bare(url: str | None) -> str | None:
    """``url`` without credentials, or None for a local file (a path on this machine says
    nothing to the SBOM's reader, and may name a user)."""
    if url is None or url.lower().startswith("file:"):
        return None
    return strip_credentials(url)[0]


def component(
    name: NormalizedName,
    version: Version,
    filename: str,
    url: str | None,
    sha256: str | None,
    *,
    installed: Installed | None = None,
    licence: Licence | None = None,
    status: ProjectStatus = ACTIVE,
    source: tuple[str, str | None] | None = None,
) -> Component:
    """A component from what the resolution and the delivery know of a project."""
    return Component(
        name=name,
        version=version,
        filename=filename,
        url=_bare(url),
        sha256=sha256,
        licence=installed.licence if installed is not None else (licence or Licence()),
        display=installed.display if installed is not None else "",
        status=ProjectStatus(status.state, status.reason),
        index=_bare(status.index),
        source=_source(source),
        sboms=installed.sboms if installed is not None else (),
    )


def _source(source: tuple[str, str | None] | None) -> tuple[str, str | None] | None:
    """The sdist a wheel was built from, unless it is a local file (see :func:`_bare`)."""
    if source is None:
        return None
    url = _bare(source[0])
    return (url, source[1]) if url is not None else None


def purl(
    name: str,
    version: Version,
    filename: str,
    index: str | None = None,
    url: str | None = None,
) -> str:
    """The package URL of one file of a PyPI-type project (purl-spec's ``pypi`` type: the name
    normalised, ``file_name``, and for another index than PyPI its ``repository_url``; for a
    file no index served, such as a direct URL or a find-links page, its ``download_url``, so
    that it does not read as PyPI's; qualifiers sorted and percent-encoded)."""
    qualifiers = {"file_name": filename}
    if index is not None and not index.startswith(_PYPI):
        qualifiers["repository_url"] = index
    elif index is None and url is not None and not url.startswith(_PYPI):
        qualifiers["download_url"] = url
    encoded = "&".join(
        f"{key}={quote(value, safe='')}" for key, value in sorted(qualifiers.items())
    )
    return f"pkg:pypi/{canonicalize_name(name)}@{quote(str(version), safe='')}?{encoded}"


def read_folder(folder: Path, prefix: str = "") -> dict[NormalizedName, Installed]:
    """Each project installed in ``folder`` (its top-level ``*.dist-info``): the name its
    METADATA spells, its licence, and the SBOMs under ``sboms/`` (paths given relative to the
    delivery's root, ``prefix`` being ``folder``'s place in it, such as ``python/``)."""
    found: dict[NormalizedName, Installed] = {}
    if not folder.is_dir():
        return found
    for dist_info in sorted(folder.glob("*.dist-info")):
        metadata = dist_info / "METADATA"
        if not metadata.is_file():
            continue
        raw, _ = parse_email(metadata.read_bytes())
        display = str(raw.get("name", dist_info.name.rpartition("-")[0]))
        licence = licence_of(
            raw.get("license_expression"), raw.get("license"), raw.get("classifiers") or ()
        )
        sboms = []
        root = dist_info / "sboms"
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                digest = file_digests(path, ("sha256",))["sha256"]
                sboms.append(Embedded(prefix + path.relative_to(folder).as_posix(), digest))
        found[canonicalize_name(display)] = Installed(display, licence, tuple(sboms))
    return found


def _hashes(sha256: str | None) -> list[dict[str, str]]:
    return [{"alg": "SHA-256", "content": sha256}] if sha256 else []


def _licences(licence: Licence) -> list[dict[str, Any]]:
    if licence.expression is not None:
        return [{"expression": licence.expression, "acknowledgement": "declared"}]
    return [{"license": {"name": name, "acknowledgement": "declared"}} for name in licence.names]


def _component(item: Component) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "library",
        "bom-ref": item.ref,
        "name": item.display or item.name,
        "version": str(item.version),
        "purl": item.ref,
    }
    if item.sha256:
        entry["hashes"] = _hashes(item.sha256)
    licences = _licences(item.licence)
    if licences:
        entry["licenses"] = licences
    references: list[dict[str, Any]] = []
    if item.url is not None:
        reference: dict[str, Any] = {"type": "distribution", "url": item.url}
        if item.sha256:
            reference["hashes"] = _hashes(item.sha256)
        references.append(reference)
    if item.source is not None:
        sdist: dict[str, Any] = {
            "type": "source-distribution",
            "url": item.source[0],
            "comment": "the sdist tagpip built this wheel from",
        }
        if item.source[1]:
            sdist["hashes"] = _hashes(item.source[1])
        references.append(sdist)
    for embedded in item.sboms:
        references.append(
            {
                "type": "bom",
                "url": embedded.path,
                "comment": "an SBOM the wheel carries (PEP 770), kept in the delivery",
                "hashes": _hashes(embedded.sha256),
            }
        )
    if references:
        entry["externalReferences"] = references
    properties = [{"name": "tagpip:file", "value": item.filename}]
    if item.index is not None:
        properties.append({"name": "tagpip:index", "value": item.index})
    properties.append({"name": "tagpip:project-status", "value": item.status.state})
    if item.status.reason:
        properties.append({"name": "tagpip:project-status-reason", "value": item.status.reason})
    properties.append({"name": "tagpip:licence-source", "value": item.licence.source or "none"})
    entry["properties"] = properties
    return entry


def _target_properties(target: Target) -> list[dict[str, str]]:
    properties = [{"name": "tagpip:target", "value": target.describe()}]
    values = target.marker_environment
    for name in _TARGET_VALUES:
        if name in values:
            properties.append({"name": f"tagpip:target:{name}", "value": str(values[name])})
    properties.append({"name": "tagpip:target:platforms", "value": " ".join(target.platforms)})
    best = target.tags[0] if target.tags else None
    if best is not None:
        properties.append({"name": "tagpip:target:best-tag", "value": str(best)})
    return properties


def document(
    components: Sequence[Component],
    graph: Mapping[NormalizedName, Sequence[NormalizedName]],
    roots: Sequence[NormalizedName],
    target: Target,
    *,
    subject: str,
    epoch: int | None = None,
) -> dict[str, Any]:
    """The SBOM as a JSON-ready dict: ``components`` (one per project), the resolution's
    ``graph`` (project -> the projects it depends on) and ``roots`` (what the delivery itself
    depends on), the ``target`` as properties of the delivery, named ``subject`` (the bundle's
    or folder's or lock's name). ``epoch`` (``SOURCE_DATE_EPOCH``) gives the timestamp."""
    ordered = sorted(components, key=lambda c: (c.name, c.ref))
    refs = {c.name: c.ref for c in ordered}
    metadata: dict[str, Any] = {}
    if epoch is not None:
        stamp = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
        metadata["timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    metadata["lifecycles"] = [{"phase": "build"}]
    metadata["tools"] = {
        "components": [{"type": "application", "name": "tagpip", "version": __version__}]
    }
    metadata["component"] = {
        "type": "application",
        "bom-ref": _SUBJECT,
        "name": subject,
        "properties": _target_properties(target),
    }
    dependencies = [
        {"ref": _SUBJECT, "dependsOn": sorted({refs[n] for n in roots if n in refs})},
        *(
            {
                "ref": item.ref,
                "dependsOn": sorted({refs[n] for n in graph.get(item.name, ()) if n in refs}),
            }
            for item in ordered
        ),
    ]
    body = {
        "metadata": metadata,
        "components": [_component(item) for item in ordered],
        "dependencies": dependencies,
    }
    # Unique for each content, the same for the same content (RFC 4122's name-based form).
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    serial = uuid.UUID(bytes=digest[:16], version=5)
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        **body,
    }


def render(sbom: Mapping[str, Any]) -> str:
    """The SBOM's text: indented JSON, keys in the document's order, a final newline."""
    return json.dumps(sbom, indent=2, ensure_ascii=False) + "\n"
