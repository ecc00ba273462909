"""Size limits of the places a bundle is uploaded to, keyed by preset family, with their source.

Kept apart from :mod:`tagpip.target.presets` (which names targets): a limit belongs to the service
the bundle is uploaded to, not to the interpreter it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIMITS", "Limits", "limits_for"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What the service accepts: bytes unpacked (all layers included) and zipped (upload)."""

    family: str
    unzipped: int
    zipped: int
    source: str
    note: str


# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "250 MB" unzipped
# for the function and all its layers together (Lambda reports it as 262144000 bytes), 50 MB
# zipped for a direct upload (larger zips go through S3).
LIMITS: dict[str, Limits] = {
    "aws-lambda": Limits(
        family="aws-lambda",
        unzipped=250 * _MB,
        zipped=50 * _MB,
        source="https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
        note="unzipped: the function and all its layers together; zipped: a direct upload",
    ),
}


def limits_for(preset: str | None) -> Limits | None:
    """The limits of the family a preset name belongs to (its prefix), or None if unknown."""
    if not preset:
        return None
    name = preset.strip().lower()
    for family, limits in LIMITS.items():
        if name == family or name.startswith(family + "-"):
            return limits
    return None
