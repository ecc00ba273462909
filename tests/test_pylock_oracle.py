"""packaging's PEP 751 reader accepts every pylock.toml tagpip writes.

``tests/conftest.py`` passes every pylock any test locks (one target or several, sdists, local
and direct wheels: ``test_pylock.py``, ``test_lock_sdist.py``, ``test_local_wheels.py``, ...)
through ``packaging.pylock.Pylock.from_dict``; these tests show that check is in place and
that it does reject what the specification forbids.
"""

from __future__ import annotations

import pytest
from packaging.pylock import PylockValidationError
from packaging.utils import canonicalize_name
from packaging.version import Version

import tagpip.lock.files
import tagpip.lock.pylock
from support.pylock_oracle import check_pylock
from tagpip.lock.files import Lock, LockedFile, LockedPackage, LockSection, format_lock

SHA = "0" * 64


def one(file: LockedFile) -> Lock:
    package = LockedPackage(name=canonicalize_name("app"), version=Version("1.0"), files=(file,))
    return Lock((LockSection("a target", (package,)),))


def test_the_cli_writes_every_pylock_through_the_oracle() -> None:
    assert vars(tagpip.lock.files)["format_pylock"] is not tagpip.lock.pylock.format_pylock


def test_a_wheel_with_a_url_and_a_sha256_is_accepted() -> None:
    file = LockedFile(
        hashes=(("sha256", SHA),),
        filename="app-1.0-py3-none-any.whl",
        url="https://files.example/app-1.0-py3-none-any.whl",
        size=10,
    )
    document = check_pylock(format_lock(one(file), "pylock", command="tagpip lock app"))
    assert [(p.name, str(p.version)) for p in document.packages] == [("app", "1.0")]
    wheels = document.packages[0].wheels
    assert wheels is not None
    assert [(w.name, w.url, w.size) for w in wheels] == [
        ("app-1.0-py3-none-any.whl", "https://files.example/app-1.0-py3-none-any.whl", 10)
    ]


def test_the_oracle_rejects_a_wheel_without_url_or_path() -> None:
    # A tagged lock read back records no URLs; written as a pylock it would name no file.
    lock = one(LockedFile(hashes=(("sha256", SHA),)))
    text = tagpip.lock.pylock.format_pylock(lock, command="tagpip lock app")
    with pytest.raises(PylockValidationError, match="path or url must be provided"):
        check_pylock(text)
