"""Running the import check of :mod:`tagpip.verify` from the command line and rendering its
report: what ``tagpip verify`` prints, and the ``--verify COMMAND`` that ``install`` and
``bundle`` take (:func:`add_verify_options`, :func:`verify_written`) to run the same check on
what they wrote.
"""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from tagpip.verify import DistributionResult, Outcome, VerifyReport

__all__ = [
    "add_verify_options",
    "check_verify_options",
    "render_report",
    "verify_with",
    "verify_written",
    "warn_report",
]


def verify_with(
    path: Path,
    python: str,
    *,
    quiet: int,
    smoke: str | None = None,
    **options: Any,
) -> VerifyReport:
    """:func:`tagpip.verify.verifier.verify` with the command line's values and a progress line."""
    from pathlib import Path

    from tagpip.cli.progress import Progress
    from tagpip.verify import python_command, read_smoke_file, verify

    command = python_command(python)
    calls = read_smoke_file(Path(smoke)) if smoke else ()
    progress = Progress("auto", quiet)
    try:
        return verify(path, command, smoke=calls, on_progress=progress.status, **options)
    finally:
        progress.close()


def warn_report(quiet: int, report: VerifyReport) -> None:
    import sys

    if quiet >= 2:  # as pip, -q keeps warnings and -qq drops them
        return
    lines = list(report.warnings)
    if report.differences and report.recorded is not None:
        lines.append(
            f"this interpreter is not the target {report.path} was made for "
            f"({report.recorded.target.describe()}): " + "; ".join(report.differences)
        )
    for line in lines:
        sys.stderr.write(f"tagpip: warning: {line}\n")


def render_report(report: VerifyReport, *, quiet: int = 0, verbose: int = 0) -> list[str]:
    """The report a person reads: what ran where, a line per distribution (its first failure
    on it, the others under it), the smoke calls, and the summary."""
    lines: list[str] = []
    interpreter = report.interpreter
    if not quiet:
        lines.append(f"interpreter: {interpreter.describe()} ({shlex.join(interpreter.command)})")
        if report.recorded is not None:
            lines.append(f"made for:    {report.recorded.describe()}")
    if verbose:
        lines.append("sys.path: " + ", ".join(interpreter.sys_path))
        for name, version, where in interpreter.visible:
            lines.append(f"also seen: {name} {version} ({where})")
    width = max([len(result.display) for result in report.distributions] + [0])
    for result in report.distributions:
        if quiet and result.ok:
            continue
        lines.extend(_distribution_lines(result, width, report.timeout))
    for outcome in report.smoke:
        if quiet and outcome.ok:
            continue
        status = "ok" if outcome.ok else "FAILED"
        text = "" if outcome.ok else ": " + outcome.describe(report.timeout)
        lines.append(f"{status:<7} smoke {outcome.module}{text}")
    lines.append(_summary(report))
    return lines


def _distribution_lines(result: DistributionResult, width: int, timeout: float) -> list[str]:
    name = f"{result.display} {result.version}"
    if result.skipped:
        return [f"{'skipped':<7} {name} (--skip)"]
    # An extension module that fails as its package did says nothing new: shown once. Files
    # for another interpreter (a wheel for another Python) are said in one line.
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    foreign = [outcome for outcome in result.failures if outcome.status == "foreign"]
    for outcome in result.failures:
        key = (outcome.status, outcome.error_type, outcome.message)
        if (outcome.status == "error" and key in seen) or (
            len(foreign) > 1 and outcome.status == "foreign"
        ):
            continue
        seen.add(key)
        problems.append(f"{outcome.module}: {outcome.describe(timeout)}")
    if len(foreign) > 1:
        problems.append(_foreign_line(foreign))
    problems += [missing.describe() for missing in result.missing]
    notes = [
        f"its module {outcome.module} shadows the standard library's ({outcome.shadows})"
        for outcome in result.outcomes
        if outcome.shadows
    ]
    if result.unfit_tags:
        notes.append(
            "its wheel is tagged "
            + ", ".join(result.unfit_tags[:3])
            + (", ..." if len(result.unfit_tags) > 3 else "")
            + ", which this interpreter does not run"
        )
    if not problems:
        count = len(result.outcomes)
        what = "nothing to import" if not count else f"{count} module{'s' * (count != 1)}"
        return [f"{'ok':<7} {name} ({what})"] + [f"{'':<7}   {note}" for note in notes]
    lines = [f"{'FAILED':<7} {name}: {problems[0]}"]
    lines += [f"{'':<7}   {problem}" for problem in problems[1:] + notes]
    return lines


def _foreign_line(foreign: Sequence[Outcome]) -> str:
    """Several extension files this interpreter does not load, in one line."""
    names = [outcome.module for outcome in foreign]
    shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    suffixes = sorted(
        {"." + outcome.file.rsplit("/", 1)[-1].split(".", 1)[1] for outcome in foreign}
    )
    return (
        f"{len(names)} extension modules ({shown}) end in {', '.join(suffixes)}, which this "
        f"interpreter does not load ({foreign[0].detail})"
    )


def _summary(report: VerifyReport) -> str:
    distributions = [result for result in report.distributions if not result.skipped]
    failed = [result for result in distributions if not result.ok]
    imports = [item for result in distributions for item in result.outcomes]
    bad = sum(1 for item in imports if not item.ok)
    missing = sum(len(result.missing) for result in distributions)
    total = len(distributions)
    if not failed:
        text = (
            f"all {total} distribution{'s' * (total != 1)} import "
            f"({len(imports)} module{'s' * (len(imports) != 1)})"
        )
    else:
        parts = [f"{bad} of {len(imports)} imports failed"] if bad else []
        if missing:
            parts.append(f"{missing} missing dependenc{'ies' if missing != 1 else 'y'}")
        text = f"{len(failed)} of {total} distributions failed ({', '.join(parts)})"
    if report.smoke:
        smoke_bad = sum(1 for item in report.smoke if not item.ok)
        count = len(report.smoke)
        text += (
            f"; {smoke_bad} of {count} smoke calls failed"
            if smoke_bad
            else f"; {count} smoke call{'s' * (count != 1)} passed"
        )
    return text


# --- install --verify and bundle --verify ---------------------------------------------------------


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    """``--verify COMMAND`` and its companions, for commands that write a folder or bundle."""
    group = parser.add_argument_group("verifying what was written (docs/verify.md)")
    group.add_argument(
        "--verify",
        metavar="COMMAND",
        help="then import everything written with the target's interpreter COMMAND (as tagpip "
        "verify --python); a failure fails the command and leaves what was written in place",
    )
    group.add_argument(
        "--verify-inside",
        metavar="PATH",
        help="where that interpreter sees the output (tagpip verify --inside)",
    )
    group.add_argument(
        "--verify-smoke",
        metavar="FILE",
        help="smoke calls to run too (tagpip verify --smoke)",
    )


def check_verify_options(args: argparse.Namespace) -> None:
    """Refuse ``--verify`` options that cannot work before anything is written: companions
    without ``--verify``, a command that does not split, a smoke file with bad lines."""
    from pathlib import Path

    from tagpip.errors import UsageError
    from tagpip.verify import python_command, read_smoke_file

    if not args.verify:
        if args.verify_inside or args.verify_smoke:
            raise UsageError("--verify-inside and --verify-smoke need --verify COMMAND")
        return
    python_command(args.verify)
    if args.verify_smoke:
        read_smoke_file(Path(args.verify_smoke))


def verify_written(args: argparse.Namespace, path: Path, what: str) -> None:
    """Verify ``path`` after a command wrote it, when ``--verify`` was given: print the report
    (failures only under ``-q``) and raise, saying that ``what`` is left in place, when
    anything failed."""
    import sys

    from tagpip.errors import TagpipError

    if not args.verify:
        return
    try:
        report = verify_with(
            path,
            args.verify,
            inside=args.verify_inside,
            smoke=args.verify_smoke,
            quiet=args.quiet,
        )
    except TagpipError as error:
        error.message = f"--verify: {error.message} ({what} was written and is left in place)"
        raise
    warn_report(args.quiet, report)
    if args.quiet < 2:
        # With --report -, standard output is the installation report's: the lines go aside.
        stream = sys.stderr if getattr(args, "report", None) == "-" else sys.stdout
        stream.write("\n".join(render_report(report, quiet=args.quiet)) + "\n")
        stream.flush()
    if not report.ok:
        raise TagpipError(
            f"--verify: {_summary(report)} with {shlex.join(report.interpreter.command)}; "
            f"{what} was written and is left in place",
            hint=f"see the lines above; run tagpip verify {path} --python ... --json for details",
        )
