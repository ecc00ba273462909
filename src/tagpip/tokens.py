"""Tag-block tokens: classification, validation and the TagSpec a block describes.

OWNER: issue A. CONTRACT (used by target, resolve, lock): the fields of ``TagSpec`` and
``PlatformSpec`` below. Add fields if needed; do not rename or remove these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.tags import Tag

from tagpip.errors import Span

__all__ = ["OsFamily", "PlatformSpec", "TagSpec"]

OsFamily = Literal["manylinux", "musllinux", "macosx", "win", "linux", "any"]


@dataclass(frozen=True)
class PlatformSpec:
    """A platform family with an optional level and architecture.

    ``level`` is the glibc version for manylinux (``manylinux1`` -> ``(2, 5)``), the musl version
    for musllinux, the macOS version for macosx, and None for win/linux/any. ``arch`` is in the
    family's own spelling (``x86_64``/``aarch64`` on Linux, ``arm64``/``x86_64``/``universal2`` on
    macOS, ``amd64``/``arm64``/``win32`` on Windows), or None when the block leaves it open.
    """

    os: OsFamily
    level: tuple[int, int] | None = None
    arch: str | None = None


@dataclass(frozen=True)
class TagSpec:
    """What one tag block says about its target; what it leaves out is filled from the target.

    ``interpreter`` is a python tag (``cp36``, ``py3``, ``pp39``); ``abis`` are ABI tags in the
    order given; ``triples`` are whole wheel tags given as ``py-abi-plat`` (their parts are also
    reflected in the other fields); ``tokens`` are the block's tokens, lower-cased, as written,
    for formatting the block back; ``span`` covers the block including its brackets.
    """

    interpreter: str | None = None
    abis: tuple[str, ...] = ()
    platform: PlatformSpec | None = None
    triples: tuple[Tag, ...] = ()
    tokens: tuple[str, ...] = ()
    span: Span | None = None
