"""Time :func:`tagpip.install.installer.install` alone on a folder of wheels: without the cache of
unpacked wheels, filling it (cold), and from it (warm, hard links and copies).

    .venv/bin/python bench/bench_install.py WHEELS_FOLDER [--runs 5]

Every run installs into a new, empty target folder next to a scratch cache folder (same file
system, so hard links work); the cold runs start from an empty cache, the warm ones from the
cache the first cold run filled. Prints the median and every run, in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tagpip.install.installer import install
from tagpip.target import target_from_flags

TARGET = target_from_flags(["manylinux_2_28_x86_64"], "3.12", None, [])


def sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.hexdigest()


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    wheels = sorted(args.wheels.glob("*.whl"))
    if not wheels:
        sys.exit(f"no wheels in {args.wheels}")
    digests = {path: sha256(path) for path in wheels}
    scratch = Path(tempfile.mkdtemp(prefix="tagpip-bench-install-"))
    cases: dict[str, list[float]] = {"no cache": [], "cold": [], "warm": [], "warm, copy": []}
    try:
        for number in range(args.runs):
            for case in cases:
                dest = scratch / f"{case}-{number}".replace(" ", "").replace(",", "")
                cache = scratch / ("cold-cache" if case == "cold" else "cache")
                if case == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                elif case.startswith("warm") and not cache.exists():
                    install(wheels, scratch / "fill", TARGET, cache=cache, digests=digests)

                def run(dest: Path = dest, cache: Path = cache, case: str = case) -> None:
                    if case == "no cache":
                        install(wheels, dest, TARGET)
                    else:
                        mode = "copy" if case.endswith("copy") else "hardlink"
                        install(wheels, dest, TARGET, cache=cache, digests=digests, link_mode=mode)

                cases[case].append(timed(run))
                shutil.rmtree(dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    files = sum(1 for _ in wheels)
    print(f"install() of {files} wheels, {args.runs} runs each (seconds)")
    for case, times in cases.items():
        runs = " ".join(f"{t:.2f}" for t in times)
        print(f"{case:<11} median {statistics.median(times):.2f}  ({runs})")


if __name__ == "__main__":
    main()
