"""The cache folder's layout: each kind of entry in a folder of its own, named here once.

Each kind is read and written by the module that knows its format: ``pages``
(:mod:`tagpip.index.pagecache`), ``metadata`` (:mod:`tagpip.index.metacache`), ``http``
(CacheControl's file cache, :mod:`tagpip.index.transport`), ``wheels`` (the wheel cache of
:class:`tagpip.index.HttpIndex` and :mod:`tagpip.download`), ``unpacked``
(:mod:`tagpip.install.unpacked`), ``sdists`` and ``built`` (:mod:`tagpip.build`). ``tagpip cache``
(:mod:`tagpip.workflow.cachedir`) lists and sweeps them all. Standard library only, so every
stage can name a folder without importing another stage.
"""

from __future__ import annotations

__all__ = [
    "BUILT",
    "BUILT_LOCAL",
    "HTTP",
    "KINDS",
    "METADATA",
    "PAGES",
    "SDISTS",
    "UNPACKED",
    "WHEELS",
]

PAGES = "pages"
METADATA = "metadata"
HTTP = "http"
WHEELS = "wheels"
UNPACKED = "unpacked"
SDISTS = "sdists"
BUILT = "built"
# Wheels built from local folders and VCS checkouts, made again on every run: a work folder,
# not entries kept for the next run, so ``tagpip cache info`` counts it with the other files.
BUILT_LOCAL = "built-local"

# Each kind of kept entry: its folder and what it holds, in the order ``tagpip cache info``
# lists them.
KINDS: dict[str, str] = {
    PAGES: "project pages, split by version",
    METADATA: "wheel metadata (PEP 658 files)",
    HTTP: "HTTP responses (CacheControl)",
    WHEELS: "downloaded wheels",
    UNPACKED: "unpacked wheels, for install --target",
    SDISTS: "downloaded sources",
    BUILT: "wheels built from sources",
}
