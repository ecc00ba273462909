"""Hash algorithms and digests: the one list every stage checks a digest against.

Two lists, because pip keeps two. ``--hash`` takes only the strong algorithms (:data:`STRONG`:
sha256, sha384, sha512), which tagpip trusts to identify a file. A link (an index page's
``#md5=...`` or PEP 691 ``hashes``, a find-links page, a direct URL's fragment) may give a digest
in any algorithm pip checks (:data:`ALGORITHMS`, pip's ``_SUPPORTED_HASHES``): each one given is
checked against the bytes received, the weak ones too (:data:`WEAK`: md5, sha1, sha224), because
a wrong digest of any kind means the file is not the one its link names; and a file whose only
check is a weak digest is said so (:func:`only_weak`).

Kept apart, standard library only, because ``tagpip check`` imports
:mod:`tagpip.requirements.syntax` on its fast path and must stay cheap to start; one list, so
``check``, ``download``, ``lock``'s readers, the source builds and the pip backend cannot disagree
about which digests count.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from tagpip.errors import TagpipError

if TYPE_CHECKING:
    import hashlib

__all__ = [
    "ALGORITHMS",
    "DIGEST_LENGTHS",
    "HEX_LENGTHS",
    "STRONG",
    "WEAK",
    "HashMismatch",
    "file_digests",
    "file_sha256",
    "fragment_hashes",
    "is_hex_digest",
    "is_strong",
    "link_algorithms",
    "link_mismatch",
    "new_hasher",
    "only_weak",
    "parse_hash",
]


class HashMismatch(TagpipError):
    """A file's bytes do not have a digest its link or the user (``--hash``, a lock's hashes)
    says they must have, or a source cannot be checked against the hashes required: tagpip
    refuses it, and nothing is written for it. ``project`` and ``filename`` name the file;
    ``expected`` are the allowed ``algo:hex`` digests and ``got`` the one of the bytes received,
    when the mismatch is between two digests."""

    def __init__(
        self,
        message: str,
        *,
        project: str,
        filename: str = "",
        expected: Sequence[str] = (),
        got: str = "",
        hint: str | None = None,
    ):
        super().__init__(message, hint=hint)
        self.project = project
        self.filename = filename
        self.expected = tuple(expected)
        self.got = got

    @classmethod
    def of_bytes(
        cls, project: str, filename: str, source: str, expected: Sequence[str], got: str
    ) -> HashMismatch:
        """The bytes received for ``filename`` have the digest ``got`` (``algo:hex``), where
        ``source`` (``"its link"``: an index page's or a direct URL's digest, or ``"--hash"``)
        allows only ``expected``."""
        algo = got.split(":", 1)[0]
        wanted = ", ".join(expected)
        where = (
            "the index page or URL that names the file gives that digest"
            if source == "its link"
            else "the --hash values (a lock's hashes count as --hash) allow only those"
        )
        return cls(
            f"{project}: hash of {filename} does not match {source}: expected {wanted}, got {got}",
            hint=f"{where}; the file may have been tampered with or changed, so nothing was "
            f"written for it (the {algo} digest is of the bytes received)",
            project=project,
            filename=filename,
            expected=expected,
            got=got,
        )


# Weakest first: where one digest is enough, the first of these a file lists is the one used.
STRONG: tuple[str, ...] = ("sha256", "sha384", "sha512")
# Hex digits in each algorithm's digest (bits / 4): a digest of another length is malformed.
HEX_LENGTHS: Mapping[str, int] = MappingProxyType({"sha256": 64, "sha384": 96, "sha512": 128})
# Every algorithm pip checks in a link (pip's ``_SUPPORTED_HASHES``), strongest first.
ALGORITHMS: tuple[str, ...] = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")
# Those a forger can meet (md5, sha1) or that pip's --hash never took (sha224): a link's digest
# in one of them is still checked, but is no reason to trust a file.
WEAK: tuple[str, ...] = ("md5", "sha1", "sha224")
DIGEST_LENGTHS: Mapping[str, int] = MappingProxyType(
    {**HEX_LENGTHS, "sha224": 56, "sha1": 40, "md5": 32}
)


def is_strong(algorithm: str) -> bool:
    """Whether ``algorithm`` (any case) is one tagpip trusts to identify a file."""
    return algorithm.lower() in HEX_LENGTHS


_LOWER_HEX = re.compile(r"[0-9a-f]+")


def is_hex_digest(digest: str, length: int = HEX_LENGTHS["sha256"]) -> bool:
    """Whether ``digest`` is ``length`` lower-case hex digits (a sha256's 64 by default): the
    one check every cache key, lock reader and downloader makes before trusting a digest."""
    return len(digest) == length and _LOWER_HEX.fullmatch(digest) is not None


def parse_hash(text: str) -> tuple[str, str]:
    """Split an ``algo:hex`` hash (as ``--hash`` takes it; pip also reads ``algo=hex``) into a
    lower-cased pair."""
    algo, sep, digest = text.partition(":")
    if not sep:
        algo, sep, digest = text.partition("=")
    return algo.strip().lower(), digest.strip().lower()


def fragment_hashes(url: str) -> tuple[tuple[str, str], ...]:
    """The ``(algorithm, hex digest)`` pairs the fragment of ``url`` gives (``#sha1=...``,
    ``#egg=x&sha256=...``), for every algorithm pip checks, lower-cased, in the order written.

    pip reads the first such pair of a URL (its ``LinkHash``); every one is read here, since
    each must hold of the file. The name is read in any case (``#SHA256=`` is still a claim
    about the file). A digest is kept as written, hex or not, so that a malformed one fails the
    check as pip's does ("Expected sha1 zz, got ..."), never passes silently; an empty value is
    no digest (pip skips it too).
    """
    _, _, fragment = url.partition("#")
    if not fragment:
        return ()
    found: list[tuple[str, str]] = []
    for part in fragment.split("&"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name in DIGEST_LENGTHS and value.strip():
            found.append((name, value.strip().lower()))
    return tuple(found)


def new_hasher(algorithm: str) -> hashlib._Hash:
    """A hashlib object for one of :data:`ALGORITHMS` (or any name hashlib knows). A weak one is
    made with ``usedforsecurity=False``, so that it works where FIPS mode forbids md5 for
    security: tagpip only compares the digest a link gives, it never trusts one."""
    import hashlib

    if algorithm in WEAK:
        return hashlib.new(algorithm, usedforsecurity=False)
    return hashlib.new(algorithm)


def link_algorithms(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """The algorithms of ``pairs`` (a link's digests) that pip checks: what to hash a file with
    so that :func:`link_mismatch` can judge it."""
    return {algo.lower() for algo, _ in pairs if algo.lower() in DIGEST_LENGTHS}


def link_mismatch(
    pairs: Iterable[tuple[str, str]], digests: Mapping[str, str]
) -> tuple[str, str, str] | None:
    """The first of a link's digests ``pairs`` that the file's ``digests`` (algorithm -> hex,
    computed for at least :func:`link_algorithms` of ``pairs``) contradict, as ``(algorithm,
    expected, got)``; None when every one holds. Algorithms pip does not check are skipped, as
    pip skips them; every one it checks counts, the weak ones too."""
    for algo, digest in sorted(pairs):
        algo = algo.lower()
        if algo not in DIGEST_LENGTHS:
            continue
        got = digests[algo]
        if got != digest.lower():
            return algo, digest.lower(), got
    return None


def only_weak(pairs: Iterable[tuple[str, str]], user_hashes: Iterable[str] = ()) -> tuple[str, ...]:
    """The weak algorithms of a link's digests ``pairs`` when they are the only check of its
    file: no strong digest on the link and no strong ``--hash`` (``user_hashes``, ``algo:hex``)
    for it; empty otherwise (nothing weak, or something strong besides)."""
    given = link_algorithms(pairs)
    if any(is_strong(algo) for algo in given):
        return ()
    if any(is_strong(parse_hash(text)[0]) for text in user_hashes):
        return ()
    return tuple(algo for algo in WEAK if algo in given)


# One read size for hashing a file: the reads go into one reused buffer (no new bytes object per
# read), and hashlib releases the GIL for each update. Reads from 64 KB to 1 MB hash at the same
# speed (docs/performance.md), so this is a choice, not a tuning.
_READ = 256 * 1024


def file_digests(
    path: str | os.PathLike[str], algorithms: Iterable[str] = ("sha256",)
) -> dict[str, str]:
    """The hex digests of a file's bytes, one per algorithm (hashlib's names), read once: the
    one way the downloader, the installer's checks and the pip backend hash a file."""
    hashers = {algo: new_hasher(algo) for algo in sorted(set(algorithms))}
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
