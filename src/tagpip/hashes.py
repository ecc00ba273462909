"""The strong hash algorithms: the one list every stage checks a digest against.

pip's ``--hash`` takes exactly these; an index may also list weaker ones (md5, sha1), which
tagpip never trusts to identify a file. Kept apart, standard library only, because
``tagpip check`` imports :mod:`tagpip.syntax` on its fast path and must stay cheap to start;
one list, so ``check``, ``download``, ``lock`` and the pip backend cannot disagree about which
``--hash`` lines count.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["HEX_LENGTHS", "STRONG", "file_digests", "file_sha256", "is_hex_digest", "is_strong"]

# Weakest first: where one digest is enough, the first of these a file lists is the one used.
STRONG: tuple[str, ...] = ("sha256", "sha384", "sha512")
# Hex digits in each algorithm's digest (bits / 4): a digest of another length is malformed.
HEX_LENGTHS: Mapping[str, int] = MappingProxyType({"sha256": 64, "sha384": 96, "sha512": 128})


def is_strong(algorithm: str) -> bool:
    """Whether ``algorithm`` (any case) is one tagpip trusts to identify a file."""
    return algorithm.lower() in HEX_LENGTHS


_LOWER_HEX = re.compile(r"[0-9a-f]+")


def is_hex_digest(digest: str, length: int = HEX_LENGTHS["sha256"]) -> bool:
    """Whether ``digest`` is ``length`` lower-case hex digits (a sha256's 64 by default): the
    one check every cache key, lock reader and downloader makes before trusting a digest."""
    return len(digest) == length and _LOWER_HEX.fullmatch(digest) is not None


# One read size for hashing a file: the reads go into one reused buffer (no new bytes object per
# read), and hashlib releases the GIL for each update. 64 KB to 1 MB reads took the same time
# within 10% over 6 GB of wheels here (2026-12-03), so this is a choice, not a tuning.
_READ = 256 * 1024


def file_digests(
    path: str | os.PathLike[str], algorithms: Iterable[str] = ("sha256",)
) -> dict[str, str]:
    """The hex digests of a file's bytes, one per algorithm (hashlib's names), read once: the
    one way the downloader, the installer's checks and the pip backend hash a file."""
    import hashlib

    hashers = {algo: hashlib.new(algo) for algo in sorted(set(algorithms))}
    buffer = bytearray(_READ)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while size := stream.readinto(buffer):
            for hasher in hashers.values():
                hasher.update(view[:size])
    return {algo: hasher.hexdigest() for algo, hasher in hashers.items()}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes."""
    return file_digests(path)["sha256"]
