"""Proving that what was installed or bundled imports on the target itself: the folder, zip
or layer and what it provides, the check run in the target's own interpreter, and the
report.
"""

from __future__ import annotations

from tagpip.verify.folder import (
    Distribution,
    FolderError,
    Opened,
    elf_machine,
    modules_of,
    open_folder,
)
from tagpip.verify.interpreter import GRACE, InterpreterError, Ran, run_check
from tagpip.verify.script import CHECK_SOURCE
from tagpip.verify.verifier import (
    DistributionResult,
    Interpreter,
    Missing,
    Outcome,
    SmokeCall,
    VerifyError,
    VerifyReport,
    python_command,
    read_smoke_file,
    verify,
)

__all__ = [
    "CHECK_SOURCE",
    "GRACE",
    "Distribution",
    "DistributionResult",
    "FolderError",
    "Interpreter",
    "InterpreterError",
    "Missing",
    "Opened",
    "Outcome",
    "Ran",
    "SmokeCall",
    "VerifyError",
    "VerifyReport",
    "elf_machine",
    "modules_of",
    "open_folder",
    "python_command",
    "read_smoke_file",
    "run_check",
    "verify",
]
