"""Credentials in index URLs: taking them out, keying them by host, keeping them out of messages.

Part of the index stage, shared by :mod:`tagpip.index.client` and :mod:`tagpip.index.http`; only the
standard library, so that naming a URL in a message never imports the HTTP stack.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = [
    "USERINFO",
    "git_credentials",
    "netloc_key",
    "redact_text",
    "redact_url",
    "scrub",
    "strip_credentials",
]

# A URL's ``user:password@`` (or lone ``token@``) part, after its ``//``.
USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


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
    return USERINFO.sub("****@", text)


_PASSWORD = re.compile(r"(?<=//)([^/@\s:]+):([^/@\s]+)@")
_LONE_USER = re.compile(r"(?<=//)[^/@\s:]+@")


def redact_text(text: str) -> str:
    """Free text with every URL's credentials shown as :func:`redact_url` shows them
    (``user:****@``, a lone user part, often a token, as ``****@``): what is already redacted
    stays as it is. The last guard before a message reaches the user."""
    if "@" not in text:
        return text
    text = _PASSWORD.sub(lambda m: f"{m.group(1)}:****@", text)
    return _LONE_USER.sub("****@", text)


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


# git runs this as a shell snippet (a "!" helper) when it needs credentials for the one URL it is
# configured for: it prints what the environment holds and ignores "store" and "erase", so the
# secret is never on a command line (git's or the helper's) nor written to a file.
_GIT_HELPER = (
    '!f() { test "$1" = get && printf "username=%s\\npassword=%s\\n" '
    '"$TAGPIP_GIT_USERNAME" "$TAGPIP_GIT_PASSWORD"; }; f'
)


def git_credentials(url: str, environ: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """A ``git`` remote URL without its credentials, and the environment variables that give git
    those credentials instead: git's configuration from the environment (``GIT_CONFIG_COUNT``,
    git 2.31 and later) resets the credential helpers (so none the user configured stores the
    token) and adds one for that URL's scheme and host that prints ``TAGPIP_GIT_USERNAME`` and
    ``TAGPIP_GIT_PASSWORD``. A URL without credentials comes back as it is, with no variables.

    ``environ`` is the environment the variables will join (default: none): entries of its own
    ``GIT_CONFIG_COUNT`` are kept, and these numbered after them. A URL's credentials on git's
    command line (``git clone https://user:token@host/...``) are readable by every local user,
    and git keeps them in the clone's ``.git/config``.
    """
    bare, found = strip_credentials(url)
    if found is None:
        return url, {}
    user, password = found
    parts = urlsplit(bare)
    count = int((environ or {}).get("GIT_CONFIG_COUNT", "0") or 0)
    scope = f"{parts.scheme}://{parts.netloc}"
    added = {
        f"GIT_CONFIG_KEY_{count}": "credential.helper",
        f"GIT_CONFIG_VALUE_{count}": "",
        f"GIT_CONFIG_KEY_{count + 1}": f"credential.{scope}.helper",
        f"GIT_CONFIG_VALUE_{count + 1}": _GIT_HELPER,
        "GIT_CONFIG_COUNT": str(count + 2),
        "TAGPIP_GIT_USERNAME": user,
        "TAGPIP_GIT_PASSWORD": password,
    }
    return bare, added
