"""`tagpip cache`: where the cache is, what it holds, and sweeping what is stale.

``dir`` prints the folder (pip's and uv's ``cache dir``); ``info`` lists each kind of entry with
its size and what ``prune`` would remove; ``prune`` removes entries of older formats and the
leftovers of interrupted runs (uv's ``cache prune``); ``purge`` removes the whole folder (pip's
``cache purge``). What counts as stale is :mod:`tagpip.workflow.cachedir`'s to say.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``cache`` command to the top-level parser."""
    parser = subparsers.add_parser(
        "cache",
        help="show, prune or purge tagpip's cache",
        description="Show where tagpip's cache is and what it holds, remove what is stale "
        "(older formats, leftovers of interrupted runs), or remove it all.",
    )
    parser.add_argument(
        "action",
        choices=["dir", "info", "prune", "purge"],
        help="dir: print the folder; info: sizes by kind; prune: remove what is stale; "
        "purge: remove everything",
    )
    parser.add_argument("--cache-dir", metavar="DIR", help="the cache's parent folder, as pip's")
    parser.add_argument(
        "--dry-run", action="store_true", help="with prune: list what would be removed"
    )
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.set_defaults(run=run)


def _megabytes(size: int) -> str:
    """A size as people read it: ``512 B``, ``3.4 kB``, ``12.5 MB``, ``1.2 GB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1e3:.1f} kB"
    if size < 1_000_000_000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def run(args: argparse.Namespace) -> int:
    """Carry out one cache action."""
    from tagpip import workflow
    from tagpip.config import load_index_options

    options = load_index_options("download", {"cache_dir": args.cache_dir})
    root = options.cache_dir
    if root is None or options.no_cache:
        print("the cache is off (no-cache-dir is configured)", file=sys.stderr)
        return 0
    if args.action == "dir":
        print(root)
    elif args.action == "info":
        _info(root, workflow.usage(root))
    elif args.action == "prune":
        found = workflow.stale(root) if args.dry_run else workflow.prune(root)
        _pruned(root, found, dry_run=args.dry_run, quiet=args.quiet)
    else:
        freed = workflow.purge(root)
        if not args.quiet:
            print(f"Removed {root} ({_megabytes(freed)})")
    return 0


def _info(root: Path, rows: list[Any]) -> None:
    from tagpip.cache import KINDS

    print(f"Cache: {root}")
    width = max(len(row.kind) for row in rows)
    for row in rows:
        what = KINDS.get(row.kind, "not tagpip's; prune leaves it")
        stale = f"; {_files(row.stale_files)} stale" if row.stale_files else ""
        size = _megabytes(row.size)
        print(f"  {row.kind:<{width}}  {_files(row.files):>13}  {size:>9}  {what}{stale}")
    total = sum(row.size for row in rows)
    stale_total = sum(row.stale_size for row in rows)
    print(f"  total: {_megabytes(total)}; tagpip cache prune would free {_megabytes(stale_total)}")


def _pruned(root: Path, removed: list[Any], *, dry_run: bool, quiet: int) -> None:
    verb = "Would remove" if dry_run else "Removed"
    if not removed:
        if not quiet:
            print(f"Nothing to prune in {root}")
        return
    if dry_run or not quiet:
        for item in removed:
            print(f"{verb.lower()} {item.path}: {item.why}")
    size = sum(item.size for item in removed)
    count = len(removed)
    if not quiet:
        print(f"{verb} {count} stale entr{'ies' if count != 1 else 'y'} ({_megabytes(size)})")
