"""The rules a resolution runs under, as one value, and the one reading of a cut-off time.

:class:`Policy` says which releases and files may be chosen whatever the requirements say:
pre-releases (pip 26's release control), Requires-Python, the upload cut-offs
(``--exclude-newer``, ``--uploaded-prior-to``) and the quarantined projects taken all the same
(``--allow-quarantined``). The resolver, the explanations of ``tagpip why``
and ``--explain``, the downgrade notes and the lock workflow all take this one value, so none of
them can apply a rule the others do not.

A cut-off is read by :func:`parse_cutoff` for every option that takes one, with one time-zone
rule: a date is midnight, and a date or time without a zone is UTC (a lock made with
``--exclude-newer 2024-02-01`` must not depend on the machine's time zone). pip reads a time
without a zone for ``--uploaded-prior-to`` in the local zone; tagpip's rule is the same for every
cut-off and every machine (docs/lock.md).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from tagpip.config import ReleaseControl
from tagpip.errors import UsageError

__all__ = ["DEFAULT_POLICY", "Policy", "as_utc", "parse_cutoff", "with_zone"]

_DAYS = re.compile(r"^P(\d+)D$", re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    """Which releases and files a resolution may choose, whatever the requirements say.

    ``pre`` allows pre-releases everywhere (True) or as a :class:`ReleaseControl` says per
    project; ``ignore_requires_python`` takes files whatever their Requires-Python says;
    ``exclude_newer`` leaves out files uploaded after it (files without an upload time are
    kept, as uv does); ``uploaded_prior_to`` keeps only files uploaded strictly before it and
    leaves out files without an upload time, as pip's option of that name does;
    ``allow_quarantined`` names the projects taken even though their index marks them
    quarantined (PEP 792), which otherwise have no candidate.
    """

    pre: bool | ReleaseControl = False
    ignore_requires_python: bool = False
    exclude_newer: datetime.datetime | None = None
    uploaded_prior_to: datetime.datetime | None = None
    allow_quarantined: frozenset[str] = frozenset()

    def upload_rejection(self, uploaded: datetime.datetime | None) -> str | None:
        """Why a file uploaded at ``uploaded`` (None: the index does not say) is left out by
        the cut-offs, in words that read after its version; None when it is not."""
        cutoff = self.exclude_newer
        if cutoff is not None and uploaded is not None and with_zone(uploaded) > with_zone(cutoff):
            return f"was uploaded after {with_zone(cutoff).isoformat()}"
        prior_to = self.uploaded_prior_to
        if prior_to is not None:
            prior_to = with_zone(prior_to)
            if uploaded is None:
                return f"has no upload time (--uploaded-prior-to {prior_to.isoformat()})"
            if with_zone(uploaded) >= prior_to:
                return f"was not uploaded before {prior_to.isoformat()}"
        return None


# No pre-releases unless a specifier names one, Requires-Python checked, no cut-off.
DEFAULT_POLICY = Policy()


def parse_cutoff(text: str | None, *, option: str) -> datetime.datetime | None:
    """A cut-off as the command line gives it (``option`` names it in errors): an ISO 8601 date
    (``2024-01-31``: midnight) or time (``2024-01-31T12:00:00Z``), or ``P<n>D`` for n days
    before now. A date or time without a zone is UTC."""
    if text is None:
        return None
    value = text.strip()
    days = _DAYS.match(value)
    if days:
        return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
            days=int(days.group(1))
        )
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not an ISO 8601 date or time, nor P<n>D (n days ago)",
            hint="for example 2024-01-31, 2024-01-31T12:00:00Z or P7D",
        ) from None
    return with_zone(when)


def with_zone(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` with a time zone: a time without one is UTC (the one rule), so any two
    compare."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def as_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """``moment`` in UTC (a time without a zone is UTC), so that a lock records one zone."""
    if moment is None:
        return None
    return with_zone(moment).astimezone(datetime.timezone.utc)
