"""Each shim in :mod:`tagpip.compat` against the installed packaging, CacheControl, urllib3
and requests: a release that moves one of their internals fails here, by name."""

from __future__ import annotations

import sys
from pathlib import Path

import requests
from packaging.markers import Marker

from tagpip import compat


def test_marker_atoms_and_their_sides() -> None:
    atoms = compat.marker_atoms(Marker('python_version >= "3.8" and os_name == "posix"'))
    assert len(atoms) == 3
    assert atoms[1] == "and"
    left, _op, right = atoms[0]
    assert compat.is_marker_variable(left)
    assert not compat.is_marker_value(left)
    assert compat.is_marker_value(right)
    assert right.value == "3.8"
    assert left.value == "python_version"


def test_a_marker_of_one_atom_evaluates_by_packagings_rules() -> None:
    atom = compat.marker_atoms(Marker('python_version >= "3.8"'))[0]
    single = compat.marker_of_atom(atom)
    assert single.evaluate({"python_version": "3.10"})
    assert not single.evaluate({"python_version": "3.7"})


def test_cached_response_and_file_cache_folder(tmp_path: Path) -> None:
    from cachecontrol.caches.file_cache import FileCache
    from cachecontrol.controller import CacheController

    cache = FileCache(str(tmp_path / "http"))
    assert compat.file_cache_folder(cache) == str(tmp_path / "http")
    controller = CacheController(cache)
    request = requests.Request("GET", "https://example.invalid/simple/").prepare()
    assert compat.cached_response(controller, request) is None


def test_pool_ssl_options() -> None:
    from urllib3 import HTTPSConnectionPool

    pool = HTTPSConnectionPool("example.invalid", ca_certs=__file__, cert_reqs="CERT_REQUIRED")
    bundle, required, kwargs = compat.pool_ssl_options(pool)
    assert bundle == __file__
    assert required
    assert isinstance(kwargs, dict)


def test_importing_compat_imports_none_of_the_libraries() -> None:
    import subprocess

    code = (
        "import sys, tagpip.compat; "
        "libs = ('packaging', 'cachecontrol', 'urllib3', 'requests'); "
        "print([m for m in libs if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
