"""How large real core metadata and project pages are: the sizes behind tagpip's caps
(``tagpip.index.transport.MAX_METADATA`` and ``MAX_PAGE``).

For each of the first N projects of a list of names (one a line, most downloaded first), the
project page (PEP 691 JSON, as decoded) and the METADATA of the newest final release's wheels
(up to three of them; PEP 658 metadata files, else range requests into the wheel) are fetched
through tagpip's own index client and measured; the largest of each are printed as markdown
tables, with the median. A project with no final release that has a wheel gets its page measured
only.

    .venv/bin/python bench/metadata_sizes.py TOP.txt --count 300 [--index URL] [--cache-dir DIR]

docs/reliability.md records a run and how the caps in ``tagpip.index.transport`` follow from it.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from tagpip.config.pip import IndexOptions
from tagpip.index.client import DistFile, HttpIndex


def _largest_wheel_metadata(index: HttpIndex, name: str) -> tuple[str, DistFile, int] | None:
    """The newest release's wheel with the largest METADATA: (project, file, bytes)."""
    releases = index.releases(canonicalize_name(name))
    for version in releases.versions():
        if version.is_prerelease:
            continue
        wheels = [f for f in releases.of_version(version) if f.is_wheel and f.yanked is None]
        if not wheels:
            continue
        # Wheels of one release carry the same metadata but for a few fields: one of each
        # distinct upload is enough; the first by name stands for the release.
        sizes = []
        for wheel in sorted(wheels, key=lambda f: f.filename)[:3]:
            data = index._metadata_bytes(wheel)
            sizes.append((len(data), wheel))
        size, wheel = max(sizes, key=lambda pair: pair[0])
        return name, wheel, size
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", type=Path, help="project names, one a line, most popular first")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--index", default="https://pypi.org/simple/")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--top", type=int, default=15, help="rows of the table")
    args = parser.parse_args()
    # Measured, not refused: the caps tagpip applies are lifted for this script.
    import tagpip.index.client
    import tagpip.index.transport

    tagpip.index.client.MAX_METADATA = tagpip.index.transport.MAX_METADATA = 1 << 40  # type: ignore[misc]
    tagpip.index.transport.MAX_PAGE = 1 << 40  # type: ignore[misc]
    pages: dict[str, int] = {}
    body = tagpip.index.transport.Transport.body

    def measured(self: Any, response: Any, url: str, project: Any, **kwargs: Any) -> bytes:
        data: bytes = body(self, response, url, project, **kwargs)
        if "/simple/" in url and not kwargs.get("metadata"):
            pages[str(project)] = len(data)
        return data

    tagpip.index.transport.Transport.body = measured  # type: ignore[method-assign]
    names = [n.strip() for n in args.names.read_text().splitlines() if n.strip()][: args.count]
    # refresh: every page is fetched whole (and measured) even when the cache holds it.
    options = IndexOptions(
        index_url=args.index,
        cache_dir=args.cache_dir,
        no_cache=args.cache_dir is None,
        refresh=True,
    )
    found: list[tuple[str, DistFile, int]] = []
    failed: list[str] = []
    with HttpIndex(options) as index, ThreadPoolExecutor(8) as pool:
        # pool.map gives one result per name, in order (zip's strict= needs Python 3.10).
        for name, result in zip(names, pool.map(lambda n: _safely(index, n, failed), names)):
            if result is not None:
                found.append(result)
            elif name not in failed:
                failed.append(f"{name} (no wheel)")
    found.sort(key=lambda item: -item[2])
    print(f"{len(found)} of {len(names)} projects measured; the largest METADATA:\n")
    print("| project | wheel | METADATA bytes |")
    print("|---|---|---:|")
    for name, wheel, size in found[: args.top]:
        print(f"| {name} | {wheel.filename} | {size:,} |")
    sizes = sorted(size for _, _, size in found)
    if sizes:
        median = sizes[len(sizes) // 2]
        print(f"\nmedian {median:,} bytes; largest {sizes[-1]:,} bytes")
    print(f"\n{len(pages)} project pages measured (decoded bytes); the largest:\n")
    print("| project | page bytes |")
    print("|---|---:|")
    for name, size in sorted(pages.items(), key=lambda item: -item[1])[: args.top]:
        print(f"| {name} | {size:,} |")
    page_sizes = sorted(pages.values())
    if page_sizes:
        print(f"\nmedian {page_sizes[len(page_sizes) // 2]:,} bytes; largest {page_sizes[-1]:,}")
    if failed:
        print("\nnot measured: " + ", ".join(failed), file=sys.stderr)
    return 0


def _safely(index: HttpIndex, name: str, failed: list[str]) -> tuple[str, DistFile, int] | None:
    try:
        return _largest_wheel_metadata(index, name)
    except Exception as error:  # a bench script: report and go on
        failed.append(f"{name} ({error})")
        return None


if __name__ == "__main__":
    sys.exit(main())
