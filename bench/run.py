"""tagpip against pip and uv, side by side: the one command that prints the benchmark tables.

    .venv/bin/python bench/run.py                      # every section, 3 runs each
    .venv/bin/python bench/run.py --sections check,mirror --runs 5

Sections (``--sections``, comma-separated; default all but ``ml``):

* ``check``  ``tagpip check`` on a 2000-line file against bare interpreter start-up.
* ``pypi``   the realistic set (boto3, requests, cryptography, pydantic, numpy, pandas,
             sqlalchemy, pyyaml, jsonschema, fastapi) for CPython 3.12 on manylinux_2_28 x86_64
             from PyPI: ``tagpip download`` vs ``pip download`` (same flags), ``tagpip lock`` vs
             ``uv pip compile``, ``tagpip install --target`` vs ``uv pip install --target``;
             each with empty caches (cold) and with caches a previous run filled (warm).
* ``mirror`` the same against a local mirror on 127.0.0.1 (bench/mirror.py) holding those
             projects' real pages, files and metadata (PEP 691 JSON + PEP 658), filled once
             from PyPI into the bench cache folder, so network noise drops out.
* ``ml``     (only when named) ``bench/ml-stack.txt``, a data/ML stack (torch from PyPI with
             its CUDA wheels, scipy, pandas, pyarrow, scikit-learn; 40 wheels, 3.1 GB to fetch,
             5.9 GB unpacked) from PyPI for the same target: ``install --target`` against
             ``uv pip install --target``, cold and warm, each tool's default link mode, then
             both with ``--link-mode copy`` and with ``--link-mode hardlink``. About 15 GB of
             disk per side while a cold run lasts.
* ``scale``  100 and 300 top-level requirements on a synthetic local mirror of generated
             wheels (bench/mirror.py ``make_synthetic``): ``tagpip lock`` vs ``uv pip compile``,
             time and peak memory.
* ``large``  a large real set (bench/large.txt: the union of nine public projects' top-level
             requirements, 311 names) from PyPI, wheels only, for CPython 3.12 on manylinux_2_28
             x86_64: ``tagpip lock`` vs ``uv pip compile``, cold and warm, then its first 100 and
             300 names cold, and how much each tool's time grows from 100 to 300.

Every timing runs the tools as subprocesses, A and B interleaved (their order alternating), and
reports medians; peak memory is each process's max RSS (``os.wait4``). The environment is cleaned
for all tools alike: no pip or uv configuration (``PIP_CONFIG_FILE`` = the null device,
``--no-config``), no ``PIP_*``/``UV_*`` variables but ``PIP_CERT``, no Python downloads by uv,
and bytecode caching on (``PYTHONDONTWRITEBYTECODE`` unset, in a private pycache prefix) because
installed tools have their bytecode compiled.

pip is the newest from PyPI, installed into a scratch virtual environment under the bench cache
folder (checked again once a day; ``--pip PATH`` uses another). The cache folder is
``--cache-dir``, default ``$XDG_CACHE_HOME/tagpip-bench`` (``~/.cache/tagpip-bench``).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_check  # noqa: E402
import mirror as mirror_mod  # noqa: E402

REALISTIC = (
    "boto3",
    "requests",
    "cryptography",
    "pydantic",
    "numpy",
    "pandas",
    "sqlalchemy",
    "pyyaml",
    "jsonschema",
    "fastapi",
)
PYPI = "https://pypi.org/simple/"
PIP_TARGET = [
    "--only-binary=:all:",
    "--platform",
    "manylinux_2_28_x86_64",
    "--python-version",
    "3.12",
    "--implementation",
    "cp",
    "--abi",
    "cp312",
]
TAGPIP_TARGET = ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.12"]
UV_TARGET = ["--python-platform", "x86_64-manylinux_2_28", "--python-version", "3.12"]
# Issue 36's goals: download 0.3x pip; lock 1.2x uv cold and 1.0x warm; install 1.0x uv on the
# same link mode ("install copy", "install hardlink"), each tool's default against the other's
# reported beside them, not judged.
GOALS = {"download": 0.3, "lock cold": 1.2, "lock warm": 1.0, "install": 1.0, "check": 5.0}
GOALS_BY_PAIR: dict[str, float | None] = {"install": None}
LARGE = HERE / "large.txt"
# Issue 36's goals for the large real set: time cold and warm, and peak memory, tagpip / uv.
LARGE_GOALS = {"cold": 1.0, "warm": 1.0, "memory": 1.2}
ML_STACK = HERE / "ml-stack.txt"


# -- running things ------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return statistics.median(s.max_rss_kb for s in self.samples) / 1024


def clean_env(cache: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith(("PIP_", "UV_")) and k != "PIP_CERT")
        and k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_NO_CONFIG"] = "1"
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    return env


TIME = "/usr/bin/time"


def run(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Sample:
    """Run a command to completion; its wall time and peak RSS. Fails loudly on an error.

    Peak RSS comes from /usr/bin/time when there is one: a child forked from this (large)
    process would otherwise report at least this process's RSS (``wait4`` counts the memory the
    child had between fork and exec)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [TIME, "-f", "%M", "-o", rss.name, *argv] if os.path.exists(TIME) else argv
        start = time.perf_counter()
        process = subprocess.Popen(
            list(wrapped), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(f"failed ({code}): {' '.join(argv)}\n{output.decode()}")
        if wrapped is argv:
            return Sample(elapsed, usage.ru_maxrss)
        return Sample(elapsed, int(rss.read().strip().splitlines()[-1]))


def tool_paths() -> tuple[str, str]:
    """tagpip and uv of the environment bench/run.py runs in."""
    bindir = Path(sys.executable).parent
    tagpip = shutil.which("tagpip", path=str(bindir)) or shutil.which("tagpip")
    uv = shutil.which("uv", path=str(bindir)) or shutil.which("uv")
    if tagpip is None or uv is None:
        raise SystemExit(
            "tagpip and uv must be installed in this environment (pip install -e .[test])"
        )
    return tagpip, uv


def ensure_pip(cache: Path, env: dict[str, str], given: str | None) -> tuple[str, str]:
    """The pip to compare with and its version: ``given``, else the newest from PyPI in a
    scratch virtual environment under ``cache`` (upgraded once a day)."""
    if given:
        pip = given
    else:
        venv = cache / "pip-venv"
        pip = str(venv / "bin" / "pip")
        stamp = venv / ".checked"
        if not Path(pip).exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
        if not stamp.exists() or time.time() - stamp.stat().st_mtime > 86400:
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-U", "pip"],
                check=True,
                env=env,
            )
            stamp.touch()
    out = subprocess.run([pip, "--version"], capture_output=True, text=True, env=env, check=True)
    return pip, out.stdout.split()[1]


@dataclass
class Pair:
    """Two commands to compare; ``make(side, workdir, cache)`` builds one command line."""

    name: str
    goal: str
    a_label: str
    b_label: str
    make: Callable[[str, Path, Path], list[str]]


def compare(
    pair: Pair, env: dict[str, str], runs: int, *, warm: bool, scratch: Path
) -> tuple[Series, Series]:
    """Interleaved runs of both sides; cold: a new empty cache each run; warm: one cache per
    side, filled by an untimed run first."""
    series = {"a": Series(), "b": Series()}
    caches = {side: scratch / f"cache-{pair.name}-{side}".replace(" ", "-") for side in "ab"}
    if warm:
        for side in "ab":
            shutil.rmtree(caches[side], ignore_errors=True)
            with tempfile.TemporaryDirectory(dir=scratch) as work:
                run(pair.make(side, Path(work), caches[side]), env, Path(work))
    for number in range(runs):
        order = "ab" if number % 2 == 0 else "ba"
        for side in order:
            if not warm:
                shutil.rmtree(caches[side], ignore_errors=True)
            with tempfile.TemporaryDirectory(dir=scratch) as work:
                series[side].samples.append(
                    run(pair.make(side, Path(work), caches[side]), env, Path(work))
                )
            if not warm:
                shutil.rmtree(caches[side], ignore_errors=True)
    for side in "ab":
        shutil.rmtree(caches[side], ignore_errors=True)
    return series["a"], series["b"]


# -- the realistic set ---------------------------------------------------------------------------


def realistic_pairs(tagpip: str, uv: str, pip: str, index: str, install: bool) -> list[Pair]:
    reqs = list(REALISTIC)

    def download(side: str, work: Path, cache: Path) -> list[str]:
        tool = tagpip if side == "a" else pip
        return [
            tool,
            "download",
            "-q",
            "-d",
            str(work / "out"),
            "--cache-dir",
            str(cache),
            "-i",
            index,
            *PIP_TARGET,
            *reqs,
        ]

    pairs = [
        Pair("download", "download", "tagpip download", "pip download", download),
        lock_pair(tagpip, uv, index, reqs),
    ]
    if install:
        pairs.extend(install_pairs(tagpip, uv, index, reqs, TAGPIP_TARGET, UV_TARGET))
    return pairs


def install_pairs(
    tagpip: str,
    uv: str,
    index: str,
    reqs: Sequence[str],
    tagpip_target: Sequence[str],
    uv_target: Sequence[str],
) -> list[Pair]:
    """``install --target`` against ``uv pip install --target`` of ``reqs`` (requirements, or
    ``-r FILE``): each tool's default link mode, then both copying, then both hard-linking."""

    def install_target(side: str, work: Path, cache: Path, link: str | None = None) -> list[str]:
        """Each tool with its own default link mode, or both with ``link``: tagpip's default
        (a copy-on-write clone, else a copy) keeps the target independent of its cache, uv's
        on Linux hard-links the target to its cache, so default against default measures a
        choice as well as code (docs/performance.md, round 6)."""
        mode = ["--link-mode", link] if link else []
        if side == "a":
            return [
                tagpip,
                "install",
                "-q",
                "--target",
                str(work / "t"),
                "--cache-dir",
                str(cache),
                "-i",
                index,
                *mode,
                *tagpip_target,
                *reqs,
            ]
        return [
            uv,
            "pip",
            "install",
            "-q",
            "--no-config",
            "--python",
            sys.executable,
            "--cache-dir",
            str(cache),
            "-i",
            index,
            "--target",
            str(work / "t"),
            *mode,
            *uv_target,
            *reqs,
        ]

    pairs = [Pair("install", "install", "tagpip install -t", "uv pip install -t", install_target)]
    for link in ("copy", "hardlink"):
        labels = (
            f"tagpip install -t --link-mode {link}",
            f"uv pip install -t --link-mode {link}",
        )
        make = functools.partial(install_target, link=link)
        pairs.append(Pair(f"install {link}", "install", *labels, make))
    return pairs


def has_install(tagpip: str, env: dict[str, str]) -> bool:
    done = subprocess.run([tagpip, "install", "--help"], capture_output=True, env=env)
    return done.returncode == 0


def section_realistic(
    title: str,
    index: str,
    args: argparse.Namespace,
    env: dict[str, str],
    scratch: Path,
    tools: tuple[str, str, str],
    upstream_count: Callable[[], int] | None = None,
) -> list[list[str]]:
    tagpip, uv, pip = tools
    pairs = realistic_pairs(tagpip, uv, pip, index, has_install(tagpip, env))
    rows = []
    for warm in (False, True):
        for pair in pairs:
            before = upstream_count() if upstream_count else 0
            a, b = compare(pair, env, args.runs, warm=warm, scratch=scratch)
            fetched = (upstream_count() - before) if upstream_count else None
            mode = "warm" if warm else "cold"
            goal_key = f"{pair.goal} {mode}" if pair.goal == "lock" else pair.goal
            goal = GOALS_BY_PAIR.get(pair.name, GOALS.get(goal_key))
            rows.append(
                _row(f"{pair.name} ({mode})", pair.a_label, pair.b_label, a, b, goal, fetched)
            )
            print(f"  {title}: {pair.name} {mode} done", file=sys.stderr)
    return rows


def _row(
    what: str,
    a_label: str,
    b_label: str,
    a: Series,
    b: Series,
    goal: float | None,
    fetched: int | None = None,
) -> list[str]:
    ratio = a.median / b.median
    verdict = "" if goal is None else ("yes" if ratio <= goal else f"no (x{ratio / goal:.1f})")
    row = [
        what,
        f"{a_label} vs {b_label}",
        f"{a.median:.2f}",
        f"{b.median:.2f}",
        f"{ratio:.2f}x",
        f"<= {goal}x" if goal else "",
        verdict,
        f"{a.rss_mb:.0f} / {b.rss_mb:.0f}",
    ]
    if fetched is not None:
        row.append(str(fetched))
    return row


# -- sections ------------------------------------------------------------------------------------


def section_check(args: argparse.Namespace, env: dict[str, str], scratch: Path) -> list[list[str]]:
    path = bench_check.make_file(str(scratch))
    check = [sys.executable, "-m", "tagpip", "check", "-q", path]
    bare = [sys.executable, "-c", "pass"]
    run(check, env)
    run(bare, env)
    a, b = Series(), Series()
    for number in range(max(args.runs, 5) * 3):
        for side in "ab" if number % 2 == 0 else "ba":
            (a if side == "a" else b).samples.append(run(check if side == "a" else bare, env))
    return [_row("check, 2000 lines", "tagpip check", "python -c pass", a, b, GOALS["check"])]


def section_ml(
    args: argparse.Namespace, env: dict[str, str], scratch: Path, tagpip: str, uv: str
) -> list[list[str]]:
    """The data/ML stack of ``ml-stack.txt`` (torch with its CUDA wheels, scipy, pandas,
    pyarrow, scikit-learn: 40 wheels, 5.9 GB unpacked) from PyPI, ``install --target``
    against ``uv pip install --target``, cold then warm, in each link mode."""
    pairs = install_pairs(tagpip, uv, PYPI, ["-r", str(ML_STACK)], TAGPIP_TARGET, UV_TARGET)
    rows = []
    for warm in (False, True):
        for pair in pairs:
            a, b = compare(pair, env, args.runs, warm=warm, scratch=scratch)
            mode = "warm" if warm else "cold"
            goal = GOALS_BY_PAIR.get(pair.name, GOALS.get(pair.goal))
            rows.append(_row(f"{pair.name} ({mode})", pair.a_label, pair.b_label, a, b, goal))
            print(f"  ml: {pair.name} {mode} done", file=sys.stderr)
    return rows


def section_scale(
    args: argparse.Namespace, env: dict[str, str], scratch: Path, cache: Path, tagpip: str, uv: str
) -> list[list[str]]:
    rows = []
    for size in args.scale:
        root = cache / f"synthetic-{size}x{size}"
        stamp = root / ".complete"
        if not stamp.exists():
            shutil.rmtree(root, ignore_errors=True)
            mirror_mod.make_synthetic(root, size)
            stamp.touch()
        names = mirror_mod.synthetic_names(size)
        with mirror_mod.Mirror(root) as server:
            index = server.url

            pair = lock_pair(tagpip, uv, index, names)
            a, b = compare(pair, env, args.runs, warm=False, scratch=scratch)
            rows.append(
                _row(f"lock {size} top-level (cold)", pair.a_label, pair.b_label, a, b, None)
            )
            print(f"  scale: {size} done", file=sys.stderr)
    return rows


def large_names(path: Path) -> list[str]:
    """The requirement lines of a names file such as bench/large.txt (comments left out)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def lock_pair(
    tagpip: str,
    uv: str,
    index: str,
    names: Sequence[str],
    name: str = "lock",
    *,
    only_binary: bool = False,
) -> Pair:
    """``tagpip lock`` against ``uv pip compile`` of ``names`` from ``index``: the one command
    line of each that every section times; with ``only_binary``, both take wheels only."""

    def lock(side: str, work: Path, cache: Path) -> list[str]:
        (work / "reqs.txt").write_text("\n".join(names) + "\n")
        common = ["--only-binary", ":all:"] if only_binary else []
        common += ["--cache-dir", str(cache), "-i", index]
        if side == "a":
            return [
                tagpip,
                "lock",
                "-q",
                "-r",
                "reqs.txt",
                "-o",
                "lock.txt",
                *common,
                *TAGPIP_TARGET,
            ]
        uv_compile = [uv, "pip", "compile", "-q", "--no-config", "--python", sys.executable]
        return [*uv_compile, *common, *UV_TARGET, "reqs.txt", "-o", "lock.txt"]

    return Pair(name, "lock", "tagpip lock", "uv pip compile", lock)


def _memory_cells(a: Series, b: Series) -> list[str]:
    ratio = a.rss_mb / b.rss_mb
    goal = LARGE_GOALS["memory"]
    return [f"{ratio:.2f}x", "yes" if ratio <= goal else f"no (x{ratio / goal:.1f})"]


def section_large(
    args: argparse.Namespace, env: dict[str, str], scratch: Path, tagpip: str, uv: str
) -> list[list[str]]:
    """The large real set, cold and warm, then subsets of it cold; the last row says how much
    each tool's cold time grows from the smallest subset to the largest."""
    names = large_names(args.large_file)
    rows = []
    for warm in (False, True):
        mode = "warm" if warm else "cold"
        pair = lock_pair(
            tagpip, uv, args.large_index, names, f"lock {len(names)}", only_binary=True
        )
        a, b = compare(pair, env, args.runs, warm=warm, scratch=scratch)
        what = f"lock {len(names)} names ({mode})"
        row = _row(what, pair.a_label, pair.b_label, a, b, LARGE_GOALS[mode])
        rows.append([*row, *_memory_cells(a, b)])
        print(f"  large: {mode} done", file=sys.stderr)
    medians: dict[int, tuple[float, float]] = {}
    for size in args.large_sizes:
        pair = lock_pair(
            tagpip, uv, args.large_index, names[:size], f"lock {size}", only_binary=True
        )
        a, b = compare(pair, env, args.runs, warm=False, scratch=scratch)
        medians[size] = (a.median, b.median)
        row = _row(f"lock first {size} names (cold)", pair.a_label, pair.b_label, a, b, None)
        rows.append([*row, *_memory_cells(a, b)])
        print(f"  large: first {size} done", file=sys.stderr)
    if len(medians) >= 2:
        low, high = min(medians), max(medians)
        grow_a = medians[high][0] / medians[low][0]
        grow_b = medians[high][1] / medians[low][1]
        met = "yes" if grow_a <= grow_b else f"no (x{grow_a / grow_b:.2f})"
        rows.append(
            [
                f"growth {low} -> {high} names (cold)",
                "tagpip lock vs uv pip compile",
                f"{grow_a:.2f}x",
                f"{grow_b:.2f}x",
                f"{grow_a / grow_b:.2f}x",
                "<= 1.0x",
                met,
                "",
                "",
                "",
            ]
        )
    return rows


# -- output --------------------------------------------------------------------------------------


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = [f"### {title}", ""]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
    return "\n".join(lines) + "\n"


HEADER = ["what", "A vs B", "A s", "B s", "A/B", "goal", "met", "peak MB A / B"]
LARGE_HEADER = [*HEADER, f"peak A/B (goal <= {LARGE_GOALS['memory']}x)", "memory met"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections",
        default="check,pypi,mirror,scale,large",
        help="comma-separated: check, pypi, mirror, scale, large, ml (default: all but ml)",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument(
        "--scale",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100, 300],
        help="top-level counts for scale (default 100,300)",
    )
    parser.add_argument(
        "--large-sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100, 300],
        help="subsets of the large set locked cold, first N names (default 100,300)",
    )
    parser.add_argument(
        "--large-file", type=Path, default=LARGE, help="the large set (default bench/large.txt)"
    )
    parser.add_argument(
        "--large-index", default=PYPI, help="the index the large set is locked from (PyPI)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tagpip-bench",
    )
    parser.add_argument("--pip", help="the pip executable to compare with (default: newest)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    env = clean_env(cache)
    tagpip, uv = tool_paths()
    out: list[str] = []
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    tagpip_version = subprocess.run(
        [tagpip, "--version"], capture_output=True, text=True, env=env
    ).stdout.strip()
    pip, pip_version = ("", "")
    if {"pypi", "mirror"} & set(sections):
        pip, pip_version = ensure_pip(cache, env, args.pip)
    out.append(
        f"{tagpip_version}, pip {pip_version or '-'}, {uv_version}; Python "
        f"{sys.version.split()[0]}; {os.cpu_count()} CPUs; {args.runs} runs per side, medians\n"
    )
    with tempfile.TemporaryDirectory(prefix="tagpip-bench-") as temp:
        scratch = Path(temp)
        if "check" in sections:
            out.append(table("check start-up", HEADER, section_check(args, env, scratch)))
        if "pypi" in sections:
            rows = section_realistic("pypi", PYPI, args, env, scratch, (tagpip, uv, pip))
            out.append(table("realistic set from PyPI", HEADER, rows))
        if "mirror" in sections:
            with mirror_mod.Mirror(cache / "mirror", upstream=PYPI) as server:
                # One untimed pass of every command fills the mirror from PyPI.
                for pair in realistic_pairs(tagpip, uv, pip, server.url, has_install(tagpip, env)):
                    for side in "ab":
                        with tempfile.TemporaryDirectory(dir=scratch) as work:
                            run(pair.make(side, Path(work), scratch / "prime"), env, Path(work))
                        shutil.rmtree(scratch / "prime", ignore_errors=True)
                rows = section_realistic(
                    "mirror",
                    server.url,
                    args,
                    env,
                    scratch,
                    (tagpip, uv, pip),
                    lambda: server.upstream_fetches,
                )
            out.append(
                table(
                    "realistic set from a local mirror (127.0.0.1)",
                    [*HEADER, "upstream fetches"],
                    rows,
                )
            )
        if "ml" in sections:
            rows = section_ml(args, env, scratch, tagpip, uv)
            out.append(table("data/ML stack from PyPI (bench/ml-stack.txt)", HEADER, rows))
        if "scale" in sections:
            rows = section_scale(args, env, scratch, cache, tagpip, uv)
            out.append(table("scale: synthetic local mirror, generated wheels", HEADER, rows))
        if "large" in sections:
            rows = section_large(args, env, scratch, tagpip, uv)
            title = f"large real set ({args.large_file.name}), wheels only"
            out.append(table(title, LARGE_HEADER, rows))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
