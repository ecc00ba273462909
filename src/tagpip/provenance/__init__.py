"""What a delivery is made of: the licence each project declares, the summary and the
``--deny-license`` verdicts, and the CycloneDX SBOM of what a run delivers.
"""

from __future__ import annotations

from tagpip.provenance.licences import (
    Licence,
    LicenceDenied,
    Verdict,
    check_licences,
    judge,
    licence_of,
    parse_deny,
    summary,
)
from tagpip.provenance.sbom import (
    Component,
    Embedded,
    Installed,
    component,
    document,
    purl,
    read_folder,
    render,
)

__all__ = [
    "Component",
    "Embedded",
    "Installed",
    "Licence",
    "LicenceDenied",
    "Verdict",
    "check_licences",
    "component",
    "document",
    "judge",
    "licence_of",
    "parse_deny",
    "purl",
    "read_folder",
    "render",
    "summary",
]
