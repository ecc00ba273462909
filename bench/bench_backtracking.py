"""Deep backtracking (issue 21): how long ``tagpip lock`` takes where a naive resolver walks
every release of a project whose newer releases conflict through an extra.

    .venv/bin/python bench/bench_backtracking.py                  # the hermetic case, 5 runs
    .venv/bin/python bench/bench_backtracking.py --pypi --runs 3  # and the real sets, PyPI

* The hermetic case is tests/test_backtracking.py's generated index (``api[standard]`` with 50
  newer releases whose extra needs ``sentry>=2`` against the user's ``sentry[api]<2``), served
  on 127.0.0.1; the median of ``--runs`` runs of ``tagpip lock`` is printed.
* ``--pypi`` also times ``tagpip lock`` of each real requirement set in bench/ (each file names
  its source: the full-stack FastAPI template's backend, LangChain with three integrations,
  BentoML's runtime, pandas with every optional dependency, NetBox's Django stack; ``--sets``
  picks some) from PyPI against ``uv pip compile`` of the same file, interleaved in the same
  minute, each run with an empty cache, for CPython 3.12 on manylinux_2_28 x86_64, wheels only
  (``--only-binary :all:`` for both). The table gives the medians, their ratio (the issue's goal:
  at most 3x) and whether the two tools pinned the same versions in the last run; each difference
  is listed under it.
* ``--src DIR`` runs tagpip from another source tree (``PYTHONPATH=DIR``), to time an older
  commit (``git archive COMMIT src | tar -x -C DIR``); ``--limit`` stops a run that takes longer
  and reports it as ``> LIMIT``.

Numbers are read by people (the machines are shared and noisy); nothing asserts them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

from packaging.utils import canonicalize_name  # noqa: E402

from support.server import IndexServer  # noqa: E402
from test_backtracking import REQUIREMENTS, TARGET, seed_fastapi_pattern  # noqa: E402

# The real requirement sets, each file naming its source; the name is the file's stem.
SETS = {
    path.stem: path
    for path in (
        HERE / "fastapi-template.txt",
        HERE / "langchain.txt",
        HERE / "bentoml.txt",
        HERE / "pandas-all.txt",
        HERE / "netbox.txt",
    )
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s\[;]+)")
PYPI_TARGET = ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.12"]
UV_TARGET = ["--python-platform", "x86_64-manylinux_2_28", "--python-version", "3.12"]


def clean_env(src: Path | None) -> dict[str, str]:
    """No pip or uv configuration, no ``PIP_*``/``UV_*`` variables (but ``PIP_CERT``)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_")) or k == "PIP_CERT"
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def timed(argv: Sequence[str], env: dict[str, str], limit: float) -> float | None:
    """Seconds the command took, or None when it failed or ran past ``limit``."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv), env=env, capture_output=True, text=True, timeout=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(f"{argv[0]} failed:\n{done.stderr[-2000:]}\n")
        return None
    return elapsed


def summary(samples: Sequence[float | None], limit: float) -> str:
    """The median, or ``> LIMIT`` when most runs did not finish."""
    finished = [s for s in samples if s is not None]
    if len(finished) * 2 <= len(samples):
        return f"> {limit:g} s"
    return f"{statistics.median(finished):.2f} s"


def tagpip_argv() -> list[str]:
    return [sys.executable, "-m", "tagpip"]


def hermetic(runs: int, env: dict[str, str], limit: float) -> str:
    with tempfile.TemporaryDirectory() as scratch, IndexServer(Path(scratch) / "index") as server:
        seed_fastapi_pattern(server)
        argv = [
            *tagpip_argv(),
            "lock",
            "-q",
            "-i",
            server.url,
            "--no-cache-dir",
            *TARGET,
            "-o",
            str(Path(scratch) / "lock.txt"),
            *REQUIREMENTS,
        ]
        samples = [timed(argv, env, limit) for _ in range(runs)]
    return summary(samples, limit)


@dataclass(frozen=True)
class Outcome:
    """One requirement set's medians and the pins of its last run, per tool."""

    name: str
    tagpip: list[float | None]
    uv: list[float | None]
    tagpip_pins: dict[str, str]
    uv_pins: dict[str, str]


def pins(lock: Path) -> dict[str, str]:
    """``{project: version}`` from a tagpip lock or a ``uv pip compile`` output (``name==version``
    at the start of a line, tags and hashes after it); empty when the file is not there."""
    if not lock.is_file():
        return {}
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def pypi_set(path: Path, runs: int, env: dict[str, str], limit: float) -> Outcome:
    """``runs`` cold runs of each tool on one requirement set, interleaved."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    tagpip_samples: list[float | None] = []
    uv_samples: list[float | None] = []
    tagpip_pins: dict[str, str] = {}
    uv_pins: dict[str, str] = {}
    for number in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch)
            lock = [
                *tagpip_argv(),
                "lock",
                "-q",
                "--isolated",
                "--only-binary",
                ":all:",
                "--cache-dir",
                str(out / "tagpip-cache"),
                *PYPI_TARGET,
                "-r",
                str(path),
                "-o",
                str(out / "lock.txt"),
            ]
            compile_ = [
                uv,
                "pip",
                "compile",
                "-q",
                "--no-config",
                "--only-binary",
                ":all:",
                "--cache-dir",
                str(out / "uv-cache"),
                *UV_TARGET,
                str(path),
                "-o",
                str(out / "uv.txt"),
            ]
            # Interleaved, the order alternating, so network weather hits both alike.
            if number % 2 == 0:
                tagpip_samples.append(timed(lock, env, limit))
                uv_samples.append(timed(compile_, env, limit))
            else:
                uv_samples.append(timed(compile_, env, limit))
                tagpip_samples.append(timed(lock, env, limit))
            tagpip_pins = pins(out / "lock.txt") or tagpip_pins
            uv_pins = pins(out / "uv.txt") or uv_pins
    return Outcome(path.stem, tagpip_samples, uv_samples, tagpip_pins, uv_pins)


def ratio(outcome: Outcome) -> str:
    """tagpip's median over uv's, when both finished most runs."""
    mine = [s for s in outcome.tagpip if s is not None]
    theirs = [s for s in outcome.uv if s is not None]
    if len(mine) * 2 <= len(outcome.tagpip) or len(theirs) * 2 <= len(outcome.uv):
        return "-"
    return f"{statistics.median(mine) / statistics.median(theirs):.2f}x"


def pin_differences(outcome: Outcome) -> list[str]:
    """Each project the two tools pinned differently, or only one of them pinned."""
    differences = []
    for name in sorted(outcome.tagpip_pins.keys() | outcome.uv_pins.keys()):
        mine = outcome.tagpip_pins.get(name, "-")
        theirs = outcome.uv_pins.get(name, "-")
        if mine != theirs:
            differences.append(f"{name} {mine} (tagpip) / {theirs} (uv)")
    return differences


def pypi_table(sets: Sequence[Path], runs: int, env: dict[str, str], limit: float) -> None:
    """Print the real sets' table, then each pin difference under it."""
    outcomes = [pypi_set(path, runs, env, limit) for path in sets]
    print()
    print("| set (PyPI, cold) | tagpip lock | uv pip compile | ratio | pins |")
    print("|------------------|-------------|----------------|-------|------|")
    for outcome in outcomes:
        differences = pin_differences(outcome)
        if not outcome.tagpip_pins or not outcome.uv_pins:
            same = "-"
        elif differences:
            same = f"{len(differences)} differ"
        else:
            same = f"equal ({len(outcome.uv_pins)})"
        print(
            f"| {outcome.name} | {summary(outcome.tagpip, limit)} | {summary(outcome.uv, limit)}"
            f" | {ratio(outcome)} | {same} |"
        )
    for outcome in outcomes:
        for difference in pin_differences(outcome):
            print(f"{outcome.name}: {difference}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default: 5)")
    parser.add_argument("--pypi", action="store_true", help="also the real sets, from PyPI")
    parser.add_argument("--sets", help=f"comma-separated, of: {', '.join(SETS)} (default: all)")
    parser.add_argument("--src", type=Path, help="run tagpip from this source tree")
    parser.add_argument(
        "--limit", type=float, default=300.0, help="seconds before a run counts as unfinished"
    )
    args = parser.parse_args(argv)
    env = clean_env(args.src.resolve() if args.src else None)
    print("| case | tool | median |")
    print("|------|------|--------|")
    print(f"| hermetic FastAPI pattern | tagpip lock | {hermetic(args.runs, env, args.limit)} |")
    if args.pypi:
        chosen = args.sets.split(",") if args.sets else list(SETS)
        unknown = [name for name in chosen if name not in SETS]
        if unknown:
            parser.error(f"--sets: no such set: {', '.join(unknown)} (sets: {', '.join(SETS)})")
        pypi_table([SETS[name] for name in chosen], args.runs, env, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
