"""Cold-start import time of a bundle with and without ``tagpip bundle --compile``, on a real
interpreter of the target's version (CPython 3.12 for the Lambda preset).

    .venv/bin/python bench/bench_bundle.py                 # local test index, 15 runs per side
    .venv/bin/python bench/bench_bundle.py --pypi --runs 21
    .venv/bin/python bench/bench_bundle.py --python ~/.pyenv/versions/3.12.1/bin/python
    .venv/bin/python bench/bench_bundle.py --only idna,click --runs 1   # a smoke run

Two folders are bundled (``--dir``) from the same requirements for
``aws-lambda-python3.12-x86_64``, one with ``--compile``. Each run starts a fresh interpreter
with the folder on ``PYTHONPATH`` and ``PYTHONDONTWRITEBYTECODE=1``, as a Lambda cold start
(``/var/task`` is read-only: what is not compiled in the bundle is compiled again at every cold
start), and times ``python -c "import ..."`` from outside; the two sides are interleaved, their
order alternating, after one untimed warm-up each, and the medians are printed with a
``python -c pass`` baseline.

The default set is built on the local test index (tests/support/server.py) from the real
sources of pure-Python projects installed next to this script's interpreter (requests and its
dependencies, PyYAML's Python part, Jinja2, Pygments, click, python-dateutil, packaging), each
repackaged as a ``py3-none-any`` wheel: real code, no network. ``--pypi`` bundles a real
Lambda set from PyPI instead (boto3, requests, PyYAML, Jinja2, pydantic).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.server import IndexServer  # noqa: E402
from tagpip.build.interpreters import find_interpreter  # noqa: E402

PRESET = "aws-lambda-python3.12-x86_64"
# Distribution -> what the handler imports from it.
LOCAL = {
    "requests": "requests",
    "urllib3": "urllib3",
    "idna": "idna",
    "certifi": "certifi",
    "charset-normalizer": "charset_normalizer",
    "PyYAML": "yaml",
    "Jinja2": "jinja2",
    "MarkupSafe": "markupsafe",
    "Pygments": "pygments.lexers.python",
    "click": "click",
    "python-dateutil": "dateutil.parser",
    "six": "six",
    "packaging": "packaging.requirements",
}
PYPI = {
    "boto3": "boto3",
    "requests": "requests",
    "PyYAML": "yaml",
    "Jinja2": "jinja2",
    "pydantic": "pydantic",
}


def local_index(server: IndexServer, only: Sequence[str]) -> list[str]:
    """One ``py3-none-any`` wheel per installed distribution of ``LOCAL`` (or of ``only``),
    holding its real ``.py`` files (compiled extensions left out: their pure-Python fallbacks
    import)."""
    names = []
    for dist_name in LOCAL:
        if only and dist_name.lower() not in only:
            continue
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        files: dict[str, bytes | str] = {}
        for entry in dist.files or ():
            path = str(entry)
            if path.endswith(".py") and ".dist-info/" not in path and not path.startswith(".."):
                files[path] = Path(str(dist.locate_file(entry))).read_bytes()
        if not files:
            continue
        # The wheel builder adds a module of the wheel's own name: a name of its own keeps it
        # from colliding with the real package's __init__.py.
        name = f"bench-{dist_name.lower()}"
        server.add_wheel(name, dist.version, extra_files=files)
        names.append(f"{name}=={dist.version}")
    return names


def bundle(
    requirements: Sequence[str], out: Path, index: str | None, cache: Path, extra: Sequence[str]
) -> None:
    command = [sys.executable, "-m", "tagpip", "bundle", *requirements, "--preset", PRESET]
    command += ["-o", str(out), "--dir", "-q", "--cache-dir", str(cache), *extra]
    if index:
        command += ["-i", index]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    subprocess.run(command, check=True, env=env)


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def timed(python: str, folder: Path | None, code: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if folder is not None:
        env["PYTHONPATH"] = str(folder)
    start = time.perf_counter()
    subprocess.run([python, "-s", "-c", code], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pypi", action="store_true", help="bundle a real set from PyPI")
    parser.add_argument("--python", help="a CPython 3.12 (default: found as --compile finds one)")
    parser.add_argument(
        "--only", default="", help="comma-separated projects of the local set (default: all)"
    )
    args = parser.parse_args()
    python = args.python
    if python is None:
        found = find_interpreter(3, 12)
        if found is None:
            sys.exit("no CPython 3.12 found (pyenv install 3.12, or give --python)")
        python = found.path
    with tempfile.TemporaryDirectory(prefix="tagpip-bench-bundle-") as temp:
        scratch = Path(temp)
        server = IndexServer(scratch / "index")
        if args.pypi:
            imports = list(PYPI.values())
            requirements, index = list(PYPI), None
        else:
            server.start()
            only = [name.strip().lower() for name in args.only.split(",") if name.strip()]
            requirements, index = local_index(server, only), server.url
            present = {r.split("==")[0].removeprefix("bench-") for r in requirements}
            imports = [mod for dist, mod in LOCAL.items() if dist.lower() in present]
        try:
            plain, compiled = scratch / "plain", scratch / "compiled"
            cache = scratch / "cache"
            bundle(requirements, plain, index, cache, [])
            bundle(requirements, compiled, index, cache, ["--compile-python", python])
        finally:
            server.stop()
        code = "import " + ", ".join(imports)
        sides = {"no --compile": plain, "--compile": compiled}
        times: dict[str, list[float]] = {"python -c pass": [], **{side: [] for side in sides}}
        for folder in sides.values():
            timed(python, folder, code)  # warm the file system cache, untimed
        for number in range(args.runs):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            times["python -c pass"].append(timed(python, None, "pass"))
            for side in order:
                times[side].append(timed(python, sides[side], code))
        source = "PyPI" if args.pypi else "the local test index"
        print(f"{code}  ({len(requirements)} projects from {source}, {PRESET})")
        print(f"interpreter: {python}; {args.runs} runs each, interleaved; seconds")
        print("| bundle | files | unzipped | median | min | max |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for side, runs in times.items():
            if side in sides:
                count, size = folder_size(sides[side])
                shape = f"{count} | {size / (1024 * 1024):.1f} MiB"
            else:
                shape = "- | -"
            print(
                f"| {side} | {shape} | {statistics.median(runs):.3f} | {min(runs):.3f} "
                f"| {max(runs):.3f} |"
            )
        gain = statistics.median(times["no --compile"]) - statistics.median(times["--compile"])
        print(f"--compile saves {gain:.3f} s of import time per cold start (median)")


if __name__ == "__main__":
    main()
