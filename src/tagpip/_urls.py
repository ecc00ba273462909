"""Credentials in index URLs: taking them out, keying them by host, keeping them out of messages.

Part of the index stage, shared by :mod:`tagpip.index` and :mod:`tagpip._http`; only the
standard library, so that naming a URL in a message never imports the HTTP stack.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["netloc_key", "redact_url", "scrub", "strip_credentials"]

_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


def redact_url(url: str) -> str:
    """``url`` with any password (or a lone user part, often a token) replaced by ``****``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:****" if has_password else "****"
    return urlunsplit(parts._replace(netloc=f"{shown}@{hostport}"))


def scrub(text: str) -> str:
    """Redact anything in free text (an exception's message) that looks like URL credentials."""
    return _USERINFO.sub("****@", text)


def netloc_key(url: str) -> str:
    """``host:port`` of ``url``, lower-cased, the default port made explicit: what credentials
    are kept under, so that they are sent to their own host only."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    return f"{(parts.hostname or '').lower()}:{port}"


def strip_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its ``user:password@`` part, and that part (None if it had none)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    bare = urlunsplit(parts._replace(netloc=hostport))
    return bare, (unquote(user), unquote(password))
