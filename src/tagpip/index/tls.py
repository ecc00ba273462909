"""One TLS context per CA bundle, shared by every connection of a run.

requests hands urllib3 the path of the CA bundle (``--cert``, ``PIP_CERT``, certifi's bundle), and
urllib3 then builds a new SSL context and loads the whole bundle into it for every new connection,
paid a dozen times by a run that fetches pages and metadata on several connections at once, and
under the GIL (docs/performance.md). :class:`SharedContextMixin` loads each bundle once
and gives the connection pools that context instead, with the same verification: certificates
required, hostnames checked. Anything unusual (a client certificate, verification turned off, a
bundle that does not load) is left to requests and urllib3 exactly as before.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

from urllib3.util.ssl_ import create_urllib3_context

from tagpip import compat

__all__ = ["SharedContextMixin"]

_lock = threading.Lock()
_contexts: dict[tuple[str, bool], ssl.SSLContext | None] = {}


def _context(bundle: str, is_folder: bool) -> ssl.SSLContext | None:
    """The context verifying with ``bundle``, loaded on first use; None when it does not load
    (urllib3 then loads it per connection and reports the problem as it always has)."""
    key = (bundle, is_folder)
    with _lock:
        if key not in _contexts:
            context: ssl.SSLContext | None = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            try:
                if is_folder:
                    context.load_verify_locations(capath=bundle)  # type: ignore[union-attr]
                else:
                    context.load_verify_locations(cafile=bundle)  # type: ignore[union-attr]
            except (OSError, ValueError):
                context = None
            _contexts[key] = context
        return _contexts[key]


class SharedContextMixin:
    """For a :class:`requests.adapters.HTTPAdapter` subclass (listed before it): HTTPS pools
    that verify against a CA bundle get the bundle's shared context."""

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # type: ignore[misc]
        bundle, required, kwargs = compat.pool_ssl_options(conn)
        if (
            cert
            or not bundle
            or kwargs is None
            or not required
            or not url.lower().startswith("https:")
        ):
            return
        context = _context(bundle, is_folder=bool(conn.ca_cert_dir))
        if context is None:
            return
        kwargs["ssl_context"] = context
        conn.ca_certs = None
        conn.ca_cert_dir = None
