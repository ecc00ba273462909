"""How long `tagpip check` takes on a 2000-line tagged requirements file, against bare start-up.

`tagpip check` runs as a pre-commit hook on every commit, so its cost is mostly Python start-up
plus imports. The target is within 5x of `python -c pass`. Runs are interleaved so that machine
noise hits both sides alike; the median of each side is printed with the ratio.

Usage: .venv/bin/python bench/bench_check.py [RUNS]
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


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
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
