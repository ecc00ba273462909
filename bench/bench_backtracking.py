"""Deep backtracking (issue 21): how long ``tagpip lock`` takes where a naive resolver walks
every release of a project whose newer releases conflict through an extra.

    .venv/bin/python bench/bench_backtracking.py                  # the hermetic case, 5 runs
    .venv/bin/python bench/bench_backtracking.py --pypi --runs 3  # and the FastAPI template

* The hermetic case is tests/test_backtracking.py's generated index (``api[standard]`` with 50
  newer releases whose extra needs ``sentry>=2`` against the user's ``sentry[api]<2``), served
  on 127.0.0.1; the median of ``--runs`` runs of ``tagpip lock`` is printed.
* ``--pypi`` also times ``tagpip lock`` of bench/fastapi-template.txt (the full-stack FastAPI
  template's backend requirements; the file names its source) from PyPI against
  ``uv pip compile`` of the same file, interleaved in the same minute, each run with an empty
  cache, for CPython 3.12 on manylinux_2_28 x86_64, wheels only.
* ``--src DIR`` runs tagpip from another source tree (``PYTHONPATH=DIR``), to time an older
  commit (``git archive COMMIT src | tar -x -C DIR``); ``--limit`` stops a run that takes longer
  and reports it as ``> LIMIT``.

Numbers are read by people (the machines are shared and noisy); nothing asserts them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

from support.server import IndexServer  # noqa: E402
from test_backtracking import REQUIREMENTS, TARGET, seed_fastapi_pattern  # noqa: E402

TEMPLATE = HERE / "fastapi-template.txt"
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


def pypi(runs: int, env: dict[str, str], limit: float) -> tuple[str, str]:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    tagpip_samples: list[float | None] = []
    uv_samples: list[float | None] = []
    for number in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch)
            lock = [
                *tagpip_argv(),
                "lock",
                "-q",
                "--isolated",
                "--cache-dir",
                str(out / "tagpip-cache"),
                *PYPI_TARGET,
                "-r",
                str(TEMPLATE),
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
                str(TEMPLATE),
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
    return summary(tagpip_samples, limit), summary(uv_samples, limit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default: 5)")
    parser.add_argument("--pypi", action="store_true", help="also the FastAPI template, PyPI")
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
        tagpip_time, uv_time = pypi(args.runs, env, args.limit)
        print(f"| FastAPI template, PyPI (cold) | tagpip lock | {tagpip_time} |")
        print(f"| FastAPI template, PyPI (cold) | uv pip compile | {uv_time} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
