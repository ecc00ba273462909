"""The deployable artifact: a reproducible zip (or folder) made from an installed folder,
slimmed on request and measured against the size limits of the place it is uploaded
to.
"""

from __future__ import annotations

from tagpip.bundle.artifact import (
    ADDED,
    BundleError,
    Compiled,
    CompileError,
    Dropped,
    Owner,
    PthFile,
    Sizes,
    TooLarge,
    add_paths,
    check_size,
    commit_dir,
    commit_zip,
    compile_tree,
    exclude,
    file_owners,
    find_pth,
    list_files,
    sizes,
    slim,
    temp_next_to,
    unzipped_size,
    write_zip,
    zip_time,
)
from tagpip.bundle.limits import LIMITS, Limits, limits_for

__all__ = [
    "ADDED",
    "LIMITS",
    "BundleError",
    "CompileError",
    "Compiled",
    "Dropped",
    "Limits",
    "Owner",
    "PthFile",
    "Sizes",
    "TooLarge",
    "add_paths",
    "check_size",
    "commit_dir",
    "commit_zip",
    "compile_tree",
    "exclude",
    "file_owners",
    "find_pth",
    "limits_for",
    "list_files",
    "sizes",
    "slim",
    "temp_next_to",
    "unzipped_size",
    "write_zip",
    "zip_time",
]
