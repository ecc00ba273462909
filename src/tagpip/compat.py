"""Everything tagpip takes from the internals of packaging, CacheControl, urllib3 and requests,
and the one reader of TOML on every supported Python (``tomllib`` from 3.11, ``tomli`` before).

Each item here uses a private name or undocumented behaviour of a library tagpip depends on,
because the public API has no way to do what tagpip needs. They sit in one module so that a
new release that moves one breaks here, in one place that ``tests/test_compat.py`` exercises
against the installed libraries, and not somewhere deep in a stage. Each says why it is needed
and the versions it was checked with (those installed when it was written;
``tests/test_compat.py`` checks whatever is installed now). Importing this module imports none
of the libraries: each shim imports its library when called, so ``tagpip check`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.markers import Marker

__all__ = [
    "cached_response",
    "file_cache_folder",
    "is_marker_value",
    "is_marker_variable",
    "load_toml",
    "marker_atoms",
    "marker_of_atom",
    "pool_ssl_options",
]


def load_toml(text: str) -> dict[str, Any]:
    """``text`` parsed as TOML; raises ValueError (both readers' errors subclass it)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    import tomli  # type: ignore[import-not-found, unused-ignore]

    result: dict[str, Any] = tomli.loads(text)
    return result


# packaging: markers. Target.evaluate walks a marker's parsed tree itself, to tell "false for
# this target" from "depends on a value the target does not define" (packaging only answers
# true or false, reading the host for what is missing). Checked with packaging 26.4: Marker
# keeps the tree in ``_markers`` (a list of (left, op, right) tuples, "and"/"or" strings and
# nested lists) and the sides are packaging._parser's Variable and Value.


def marker_atoms(marker: Marker) -> list[Any]:
    """The parsed tree of ``marker`` (``Marker._markers``)."""
    atoms: list[Any] = marker._markers
    return atoms


def marker_of_atom(atom: tuple[Any, Any, Any]) -> Marker:
    """A Marker holding the one comparison ``atom`` (from :func:`marker_atoms`), evaluated
    by packaging's own rules: there is no public constructor from a parsed tree."""
    from packaging.markers import Marker

    single = Marker.__new__(Marker)
    single._markers = [atom]
    return single


def is_marker_variable(side: object) -> bool:
    """Whether one side of an atom names an environment variable (``python_version``)."""
    from packaging._parser import Variable

    return isinstance(side, Variable)


def is_marker_value(side: object) -> bool:
    """Whether one side of an atom is a quoted literal (``"3.8"``)."""
    from packaging._parser import Value

    return isinstance(side, Value)


# CacheControl. Checked with CacheControl 0.14.4.


def cached_response(controller: Any, request: Any) -> Any:
    """The response CacheControl holds for ``request``, or None: ``_load_from_cache``, which
    CacheController.update_cached_response uses too. tagpip's controller answers a 304 with
    the cached entry without writing it again (tagpip.index.http._controller_class), and there is no
    public way to read an entry without CacheControl's freshness checks."""
    return controller._load_from_cache(request)


def file_cache_folder(cache: Any) -> str:
    """The folder a CacheControl FileCache writes to (its ``directory`` attribute, set by
    ``__init__`` and not documented), to name it in tagpip's "cannot be written" warning."""
    folder: str = cache.directory
    return folder


# urllib3 (through requests' HTTPAdapter.cert_verify, which requests documents as a method to
# override). Checked with urllib3 2.8.0 and requests 2.34.2.


def pool_ssl_options(pool: Any) -> tuple[str | None, bool, dict[str, Any] | None]:
    """For an HTTPS connection pool that requests has just configured: the CA bundle it
    verifies with (a file or a folder), whether certificates are required, and the keyword
    arguments it passes to each new connection (``conn_kw``, undocumented; None when this
    urllib3 has none), where tagpip.index.tls puts a shared ``ssl_context``."""
    bundle = pool.ca_cert_dir or pool.ca_certs
    kwargs = getattr(pool, "conn_kw", None)
    return bundle, pool.cert_reqs == "CERT_REQUIRED", kwargs if isinstance(kwargs, dict) else None
