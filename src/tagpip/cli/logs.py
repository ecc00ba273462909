"""Logging for ``-v`` and ``--log``: the pipeline logs through :mod:`logging`, the CLI decides
where it goes.

``-v`` sends tagpip's log to stderr (``-vv`` adds debug detail); ``--log PATH`` appends a
verbose log to a file, as pip's option does. Every record passes a filter that removes
credentials from URLs (``user:password@``), so a secret in an index URL never reaches a log.
"""

from __future__ import annotations

import argparse
import logging

from tagpip.errors import TagpipError
from tagpip.urls import scrub

__all__ = ["configure_logging", "reset_logging"]


class _Redact(logging.Filter):
    """Scrub credentials out of the final message text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message:
            record.msg = scrub(message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback text of an exception may hold a URL; keep only its scrubbed summary.
            error = record.exc_info[1]
            record.msg = f"{record.msg}: {scrub(str(error))}"
            record.exc_info = None
            record.exc_text = None
        return True


def reset_logging() -> None:
    """Detach and close this run's handlers (``main()`` may run again in the same process)."""
    logger = logging.getLogger("tagpip")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)


def configure_logging(args: argparse.Namespace) -> None:
    """Attach handlers to the ``tagpip`` logger as ``-v``/``-q``/``--log`` ask."""
    reset_logging()
    logger = logging.getLogger("tagpip")
    logger.propagate = False
    verbose = int(getattr(args, "verbose", 0) or 0)
    quiet = int(getattr(args, "quiet", 0) or 0)
    log_path = getattr(args, "log", None)
    levels = []
    if verbose and not quiet:
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        stderr.setFormatter(logging.Formatter("%(message)s"))
        stderr.addFilter(_Redact())
        logger.addHandler(stderr)
        levels.append(stderr.level)
    if log_path:
        try:
            file_handler = logging.FileHandler(log_path, encoding="utf-8")
        except OSError as error:
            raise TagpipError(
                f"cannot open the log file {log_path}: {error.strerror or error}"
            ) from None
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        file_handler.addFilter(_Redact())
        logger.addHandler(file_handler)
        levels.append(logging.DEBUG)
    logger.setLevel(min(levels) if levels else logging.WARNING + 10)
