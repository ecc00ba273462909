"""How long `tagpip check` takes on a 2000-line tagged requirements file, against bare start-up
or against another copy of the source.

`tagpip check` runs as a pre-commit hook on every commit, so its cost is mostly Python start-up
plus imports. The target is within 5x of `python -c pass`. Runs are interleaved so that machine
noise hits both sides alike; the median of each side is printed with the ratio.

With ``--against DIR`` (a copy of ``src/`` with one change, say a start-up measure taken out),
``tagpip check`` from ``DIR`` is timed against the checkout's, in turn, and the median of the
pairwise ratios of CPU time (user + system, which a busy machine disturbs less than wall time)
is printed: what docs/performance.md, "Start-up", quotes for each measure.

Usage: .venv/bin/python bench/bench_check.py [RUNS] [--against DIR]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

LINES = 2000

_PLATFORMS = ("manylinux1", "manylinux2014", "manylinux_2_28", "musllinux_1_2")
_PYTHONS = ("cp36", "cp39", "cp311", "cp312")


def make_file(directory: str) -> str:
    """A 2000-line file mixing every kind of line `check` meets in practice."""
    lines = [
        "# generated for bench_check",
        "--platform manylinux_2_28_x86_64",
        "--python-version 3.12",
        "-i https://pypi.org/simple",
    ]
    for n in range(LINES - len(lines)):
        platform = _PLATFORMS[n % len(_PLATFORMS)]
        python = _PYTHONS[n % len(_PYTHONS)]
        kind = n % 5
        if kind == 0:
            lines.append(f"project-{n}[extra]=={n % 7}.{n % 11}.0[{platform},{python},x86_64]")
        elif kind == 1:
            lines.append(f'project-{n}>=1.0,<{n % 9 + 2}.0[{platform}]; python_version >= "3.8"')
        elif kind == 2:
            lines.append(f"project-{n}[][{python}-none-{platform}_x86_64]  # pinned for the target")
        elif kind == 3:
            digest = f"{n:064x}"
            lines.append(f"project-{n}=={n % 5}.0[{python},x86_64] --hash=sha256:{digest}")
        else:
            lines.append(f"project-{n}~=2.{n % 13}")
    path = os.path.join(directory, "requirements.txt")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    return path


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{result.stdout.decode()}{result.stderr.decode()}")
    return elapsed


def _cpu(argv: list[str], env: dict[str, str]) -> float:
    """The CPU seconds (user + system) of one run of ``argv``, as the system accounts them."""
    import resource  # Unix only, as this comparison is

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _time(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def against(other: str, runs: int) -> None:
    """``tagpip check`` from the source folder ``other`` against the checkout's, interleaved."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    with tempfile.TemporaryDirectory() as directory:
        path = make_file(directory)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        check = [sys.executable, "-m", "tagpip", "check", "-q", path]
        sides = {"this": {**env, "PYTHONPATH": here}, "other": {**env, "PYTHONPATH": other}}
        for side in sides.values():  # bytecode written once, outside the timing
            _time(check, side)
        ratios = []
        times: dict[str, list[float]] = {"this": [], "other": []}
        for _ in range(runs):
            for name, side in sides.items():
                times[name].append(_cpu(check, side))
            ratios.append(times["other"][-1] / times["this"][-1])
    print(f"lines:                 {LINES}")
    print(f"runs:                  {runs} each, interleaved")
    print(f"this checkout:         {statistics.median(times['this']) * 1000:.1f} ms CPU (median)")
    print(f"{other}: {statistics.median(times['other']) * 1000:.1f} ms CPU (median)")
    print(f"other / this:          {statistics.median(ratios):.3f} (median of the pairs)")


def main() -> None:
    words = sys.argv[1:]
    if "--against" in words:
        at = words.index("--against")
        other = words[at + 1]
        del words[at : at + 2]
        against(other, int(words[0]) if words else 30)
        return
    runs = int(words[0]) if words else 15
    with tempfile.TemporaryDirectory() as directory:
        path = make_file(directory)
        # Measure what users get: bytecode cached (in a private prefix, not in the source tree),
        # whatever PYTHONDONTWRITEBYTECODE this shell has.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = os.path.join(directory, "pycache")
        check = [sys.executable, "-m", "tagpip", "check", "-q", path]
        bare = [sys.executable, "-c", "pass"]
        _time(check, env)  # warm the bytecode cache and the file system
        _time(bare, env)
        check_times: list[float] = []
        bare_times: list[float] = []
        for _ in range(runs):
            check_times.append(_time(check, env))
            bare_times.append(_time(bare, env))
    check_median = statistics.median(check_times)
    bare_median = statistics.median(bare_times)
    print(f"lines:                 {LINES}")
    print(f"runs:                  {runs} each, interleaved")
    print(f"python -c pass:        {bare_median * 1000:.1f} ms (median)")
    print(f"tagpip check (2000 l): {check_median * 1000:.1f} ms (median)")
    print(f"ratio:                 {check_median / bare_median:.2f}x (target <= 5x)")


if __name__ == "__main__":
    main()
