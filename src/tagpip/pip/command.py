"""The pip invocations that fetch exactly a resolved set: pinned wheels -> ``pip download`` (or
``pip install --target``) argv.

pip can only restrict tags globally, per invocation (``--platform``, ``--python-version``,
``--implementation``, ``--abi``, which need ``--only-binary=:all:`` or ``--no-deps``). So each
pin gets the restriction of its own chosen wheel: the platforms and ABIs of the wheel's tags that
the pin's target accepts (in the target's order of preference), with the target's implementation
and Python version. Pins with equal restrictions share one invocation. Under that restriction pip
sees a subset of the tags tagpip ranked, in the same relative order, so among the files of the
pinned version it picks the one tagpip picked; with ``--no-deps`` it fetches nothing else. Pure
wheels get ``--platform any``, never the host's platform, so pip cannot prefer a host-native
wheel of the same version.

Index options are passed only where they differ from a *baseline*: pip's defaults, or (when the
command runs in the same environment) what pip reads by itself from its configuration, so
configured lists are not repeated. Credentials stay in the argv that is run; the text for
printing redacts them.

The same grouping gives ``pip install --target DIR`` invocations (``command="install"``), with
``--no-compile`` added: bytecode pip compiled would be the host's. pip moves each invocation's
top-level folders into ``DIR`` and skips (or, with ``--upgrade``, replaces) those already there,
so a ``bin/`` or a namespace package shared by two invocations keeps only one of them; see
docs/pip-backend.md for why ``--backend pip`` therefore has pip download and tagpip install.

Nothing here prints or touches the disk or the network: :mod:`tagpip.cli.pipbackend` runs the
invocations and checks the files (:func:`differences`).
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from tagpip.config import IndexOptions
from tagpip.errors import TagpipError
from tagpip.hashes import STRONG, link_mismatch
from tagpip.index import DistFile
from tagpip.resolution import Pin
from tagpip.target import Target
from tagpip.urls import redact_url

__all__ = [
    "Difference",
    "PipBackendError",
    "PipCommand",
    "PipDownload",
    "PipFailed",
    "PipMismatch",
    "PipRequirement",
    "Restriction",
    "differences",
    "format_command",
    "gives_urls",
    "index_arguments",
    "pip_commands",
    "pip_downloads",
    "restriction_for",
]


class PipBackendError(TagpipError):
    """The pip backend could not produce or fetch the resolved set."""


class PipFailed(PipBackendError):
    """A pip invocation exited with a non-zero status; ``command`` is the redacted argv."""

    def __init__(self, command: Sequence[str], status: int, output: str = ""):
        self.command = tuple(command)
        self.status = status
        self.output = output
        tail = output.rstrip().splitlines()[-15:]
        details = "".join(f"\n  {line}" for line in tail)
        super().__init__(
            f"pip failed (exit status {status}) running:\n  {shlex.join(self.command)}"
            + (f"\npip said:{details}" if tail else ""),
            hint="run the command above yourself to see pip's full output, or add -v",
        )


@dataclass(frozen=True)
class Difference:
    """One way the files pip left differ from the resolved set.

    ``kind``: ``missing`` (a pinned file is not there), ``unexpected`` (pip wrote a file that is
    not pinned), ``hash`` (a pinned file's digest differs from the index's or a ``--hash``).
    """

    kind: Literal["missing", "unexpected", "hash"]
    filename: str
    detail: str = ""

    def describe(self) -> str:
        words = {
            "missing": "missing",
            "unexpected": "not in the resolved set",
            "hash": "wrong hash",
        }[self.kind]
        return f"{self.filename}: {words}" + (f" ({self.detail})" if self.detail else "")


class PipMismatch(PipBackendError):
    """pip succeeded but the destination does not hold exactly the resolved set."""

    def __init__(self, found: Sequence[Difference]):
        self.differences = tuple(found)
        lines = "".join(f"\n  {d.describe()}" for d in self.differences)
        super().__init__(
            "the files pip fetched differ from the resolved set:" + lines,
            hint="pip's configuration (pip.conf, PIP_* variables) may have changed what it "
            "fetched; compare with `tagpip download` (the default backend)",
        )


@dataclass(frozen=True)
class Restriction:
    """pip's four target flags for one invocation; ``platforms`` and ``abis`` keep their order."""

    platforms: tuple[str, ...]
    python_version: str
    implementation: str
    abis: tuple[str, ...]

    def arguments(self) -> list[str]:
        args: list[str] = []
        for platform in self.platforms:
            args += ["--platform", platform]
        args += ["--python-version", self.python_version, "--implementation", self.implementation]
        for abi in self.abis:
            args += ["--abi", abi]
        return args


@dataclass(frozen=True)
class PipRequirement:
    """One pinned project as pip is asked for it: ``name==version``, or ``name @ url`` for a
    pin that came from a direct link. ``hashes`` are ``algo:hex`` values that identify the file
    (the index's strongest digests, else the user's ``--hash`` values)."""

    name: NormalizedName
    version: Version
    filename: str
    url: str | None = None
    hashes: tuple[str, ...] = ()

    def spec(self, *, redact: bool = False) -> str:
        if self.url is not None:
            return f"{self.name} @ {redact_url(self.url) if redact else self.url}"
        return f"{self.name}=={self.version}"

    def line(self) -> str:
        """The line for a hash-checking requirements file."""
        return " ".join([self.spec(), *(f"--hash={h}" for h in self.hashes)])


PipCommand = Literal["download", "install"]


@dataclass(frozen=True)
class PipDownload:
    """One ``pip download`` invocation (``pip install --target`` with ``command="install"``;
    ``dest`` is then the target folder, and ``upgrade`` adds ``--upgrade``).

    ``index_args`` are the index options as pip takes them (see :func:`index_arguments`).
    ``ignore_requires_python`` is set when pip would refuse a pinned file's Requires-Python that
    tagpip accepted: pip compares with ``X.Y`` as ``X.Y.0``, tagpip with the newest ``X.Y.z``
    (or the user passed ``--ignore-requires-python``).
    """

    restriction: Restriction
    requirements: tuple[PipRequirement, ...]
    dest: str
    index_args: tuple[str, ...] = ()
    ignore_requires_python: bool = False
    command: PipCommand = "download"
    upgrade: bool = False
    # Every extra index pip is to use (not only those index_args adds): see private_invocation.
    extra_index_urls: tuple[str, ...] = ()

    def arguments(self, *, redact: bool = False, requirements_file: str | None = None) -> list[str]:
        """pip's arguments, from ``download`` (or ``install``) on. With ``requirements_file`` (a
        file holding :meth:`requirements_text`) the projects are read from it instead of the
        command line, so pip checks every hash; ``redact`` hides credentials in URLs, for
        printing."""
        if self.command == "install":
            args = ["install", "--target", self.dest, "--no-deps", "--only-binary=:all:"]
            args.append("--no-compile")
            if self.upgrade:
                args.append("--upgrade")
        else:
            args = ["download", "--no-deps", "--only-binary=:all:"]
        if self.ignore_requires_python:
            args.append("--ignore-requires-python")
        args += self.restriction.arguments()
        args += _redacted(self.index_args) if redact else list(self.index_args)
        if self.command == "download":
            args += ["-d", self.dest]
        if requirements_file is not None:
            args += ["-r", requirements_file]
        else:
            args += [r.spec(redact=redact) for r in self.requirements]
        return args

    def private_invocation(self, requirements_file: str) -> tuple[list[str], str, dict[str, str]]:
        """The invocation to run, with no secret on its command line (every local user can
        read a process's argv): pip's arguments, the text of the requirements file
        ``requirements_file`` (to be written privately, 0600) and the environment variables to
        add.

        Index, extra-index and find-links URLs that carry credentials move into the
        requirements file, which pip reads even under ``--isolated``, as do the requirements
        (a direct URL may carry credentials too); a moved ``--index-url`` takes every extra
        index with it, since in a requirements file it replaces the whole list. A proxy with
        credentials is passed as ``HTTPS_PROXY``/``HTTP_PROXY`` instead of ``--proxy``.
        """
        index_args = list(self.index_args)
        moved_index = any(
            option == "--index-url" and _has_credentials(value)
            for option, value in _pairs(index_args)
        )
        kept: list[str] = []
        lines: list[str] = []
        env: dict[str, str] = {}
        position = 0
        while position < len(index_args):
            option = index_args[position]
            if option not in _URL_OPTIONS or position + 1 >= len(index_args):
                kept.append(option)
                position += 1
                continue
            value = index_args[position + 1]
            position += 2
            if option == "--proxy":
                if _has_credentials(value):
                    env.update(dict.fromkeys(_PROXY_VARIABLES, value))
                else:
                    kept += [option, value]
            elif _has_credentials(value) or (moved_index and option == "--extra-index-url"):
                lines.append(f"{option} {value}")
            else:
                kept += [option, value]
        if moved_index:
            listed = {line.split(" ", 1)[1] for line in lines if line.startswith("--extra")}
            lines += [f"--extra-index-url {u}" for u in self.extra_index_urls if u not in listed]
        private = PipDownload(
            restriction=self.restriction,
            requirements=self.requirements,
            dest=self.dest,
            index_args=tuple(kept),
            ignore_requires_python=self.ignore_requires_python,
            command=self.command,
            upgrade=self.upgrade,
        )
        # Hashes only when every requirement has one (pip's hash-checking mode is all or none).
        wanted = (
            self.requirements_text()
            if self.can_check_hashes
            else "".join(r.spec() + "\n" for r in self.requirements)
        )
        text = "".join(line + "\n" for line in lines) + wanted
        return private.arguments(requirements_file=requirements_file), text, env

    @property
    def has_secrets(self) -> bool:
        """Whether any URL of the invocation carries credentials."""
        return any(
            _has_credentials(value)
            for option, value in _pairs(list(self.index_args))
            if option in _URL_OPTIONS
        ) or any(r.url is not None and _has_credentials(r.url) for r in self.requirements)

    @property
    def can_check_hashes(self) -> bool:
        """Whether every requirement has a hash, so pip can run in hash-checking mode."""
        return all(r.hashes for r in self.requirements)

    def requirements_text(self) -> str:
        """A requirements file that pins each project to its file's hashes (pip's hash-checking
        mode: pip then refuses any other file, and prefers the matching one)."""
        return "".join(r.line() + "\n" for r in self.requirements)

    @property
    def filenames(self) -> tuple[str, ...]:
        return tuple(r.filename for r in self.requirements)


def restriction_for(file: DistFile, target: Target) -> Restriction:
    """The narrowest restriction under which pip accepts ``file`` as ``target`` would.

    Platforms and ABIs are those of the file's tags that ``target`` accepts, most preferred
    first; the implementation and Python version are the target's. Raises
    :class:`PipBackendError` if the target accepts none of the file's tags.
    """
    ranks: dict[Tag, int] = {}
    for tag in file.tags:
        rank = target.wheel_rank([tag])
        if rank is not None:
            ranks[tag] = rank
    if not ranks:
        raise PipBackendError(f"{file.project}: {file.filename} does not fit {target.describe()}")
    tags = sorted(ranks, key=lambda tag: (ranks[tag], str(tag)))
    platforms = tuple(dict.fromkeys(t.platform for t in tags))
    abis = tuple(dict.fromkeys(t.abi for t in tags))
    return Restriction(
        platforms=platforms,
        python_version=".".join(str(part) for part in target.python_version[:3]),
        implementation=target.implementation,
        abis=abis,
    )


def index_arguments(options: IndexOptions, baseline: IndexOptions | None = None) -> list[str]:
    """pip's index options for what ``options`` says and ``baseline`` does not.

    ``baseline`` is what pip gets without being told: its defaults (None), or what it reads from
    its own configuration. List options add to the configured ones in pip, so only new entries
    are passed. The cache folder is passed as pip's own (tagpip caches in a ``tagpip`` folder
    inside it).
    """
    base = baseline if baseline is not None else IndexOptions()
    args: list[str] = []
    if options.no_index and not base.no_index:
        args.append("--no-index")
    if not options.no_index and options.index_url != base.index_url:
        args += ["--index-url", options.index_url]
    if not options.no_index:
        for url in options.extra_index_urls:
            if url not in base.extra_index_urls:
                args += ["--extra-index-url", url]
    for link in options.find_links:
        if link not in base.find_links:
            args += ["--find-links", link]
    for host in options.trusted_hosts:
        if host not in base.trusted_hosts:
            args += ["--trusted-host", host]
    if options.cert is not None and options.cert != base.cert:
        args += ["--cert", options.cert]
    if options.client_cert is not None and options.client_cert != base.client_cert:
        args += ["--client-cert", options.client_cert]
    if options.proxy is not None and options.proxy != base.proxy:
        args += ["--proxy", options.proxy]
    if options.timeout != base.timeout:
        args += ["--timeout", f"{options.timeout:g}"]
    if options.retries != base.retries:
        args += ["--retries", str(options.retries)]
    if options.no_cache and not base.no_cache:
        args.append("--no-cache-dir")
    elif (
        not options.no_cache
        and options.cache_dir is not None
        and base.cache_dir is not None
        and options.cache_dir != base.cache_dir
        and options.cache_dir.name == "tagpip"
    ):
        args += ["--cache-dir", str(options.cache_dir.parent)]
    return args


def pip_downloads(
    pins: Sequence[Pin],
    dest: str | Path,
    options: IndexOptions,
    *,
    baseline: IndexOptions | None = None,
    extra_args: Sequence[str] = (),
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    command: PipCommand = "download",
    upgrade: bool = False,
) -> list[PipDownload]:
    """The invocations that fetch exactly ``pins`` into ``dest``: one per distinct restriction
    (with ``command="install"``, that install them into the folder ``dest``).

    Invocations come in the order of their first pin; each keeps its pins' order (a resolution's
    pins are sorted by name, so the result is deterministic). ``extra_args`` (``--isolated``,
    ``--pre``, ...) go right after the index options. ``user_hashes`` are the ``--hash`` values
    per project, used for a pin whose file has no strong hash on the index.
    """
    hashes = user_hashes or {}
    groups: dict[tuple[Restriction, bool], list[PipRequirement]] = {}
    # pip has no first-index rule and no pins: with several indexes its choice among them may
    # differ from tagpip's, so it is given each file by its URL (with its host's credentials).
    credentials = _host_credentials(options) if gives_urls(options) else None
    for pin in pins:
        restriction = restriction_for(pin.file, pin.target)
        key = (restriction, not _pip_accepts_python(pin.file, restriction.python_version))
        requirement = _requirement(pin, hashes.get(pin.name, ()), credentials)
        groups.setdefault(key, []).append(requirement)
    index_args = (*index_arguments(options, baseline), *extra_args)
    return [
        PipDownload(
            restriction=restriction,
            requirements=tuple(requirements),
            dest=str(dest),
            index_args=index_args,
            ignore_requires_python=ignore,
            command=command,
            upgrade=upgrade,
            extra_index_urls=() if options.no_index else tuple(options.extra_index_urls),
        )
        for (restriction, ignore), requirements in groups.items()
    ]


def pip_commands(
    pins: Sequence[Pin],
    dest: str | Path,
    options: IndexOptions,
    *,
    python: str = "python",
    baseline: IndexOptions | None = None,
    redact: bool = False,
    command: PipCommand = "download",
) -> list[list[str]]:
    """The full argv lists (``python -m pip download ...``) of :func:`pip_downloads`."""
    return [
        [python, "-m", "pip", *download.arguments(redact=redact)]
        for download in pip_downloads(pins, dest, options, baseline=baseline, command=command)
    ]


def format_command(argv: Sequence[str]) -> str:
    """One command as shell text (POSIX quoting)."""
    return shlex.join(argv)


def differences(
    expected: Sequence[DistFile],
    present: Mapping[str, Mapping[str, str]],
    written: Collection[str],
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
) -> list[Difference]:
    """How a folder differs from the resolved set, in a stable order.

    ``present`` maps each file in the folder to its digests (``{"sha256": hex, ...}``; at least
    the algorithms the index and ``user_hashes`` use for the expected files); ``written`` names
    the files pip created or changed. An expected file must be present and match the index's
    strong digests and, per algorithm, one of the user's ``--hash`` values; a written file that
    is not expected is reported too (files that were there before are none of pip's doing).
    """
    hashes = user_hashes or {}
    found: list[Difference] = []
    wanted = {f.filename for f in expected}
    for file in sorted(expected, key=lambda f: f.filename):
        digests = present.get(file.filename)
        if digests is None:
            found.append(Difference("missing", file.filename))
            continue
        problem = _hash_problem(file, digests, hashes.get(file.project, ()))
        if problem is not None:
            found.append(Difference("hash", file.filename, problem))
    for name in sorted(set(written) - wanted):
        found.append(Difference("unexpected", name))
    return found


# --- helpers ---------------------------------------------------------------------------------


def gives_urls(options: IndexOptions) -> bool:
    """Whether pip is given each pinned file by its URL (``name @ URL``) rather than by name and
    version: when more than one index could serve a project, or one is pinned to an index.
    pip takes the best version from every index (it has no first-index rule, uv's default and
    tagpip's) and, for a version on several, any index's file; by URL it fetches the file
    tagpip chose, from the index that serves it."""
    return len(options.index_urls) > 1 or bool(options.pinned)


def _host_credentials(options: IndexOptions) -> dict[str, tuple[str, str]]:
    """The credentials of each host the configured URLs name (as the index client keeps them:
    :class:`tagpip.index.transport.Transport`), to go with a file URL on that host."""
    from tagpip.urls import netloc_key, strip_credentials

    found: dict[str, tuple[str, str]] = {}
    for url in (*options.index_urls, *options.pinned.values(), *options.find_links):
        bare, secret = strip_credentials(url)
        if secret is not None and "://" in url:
            found[netloc_key(bare)] = secret
    return found


def _with_credentials(url: str, credentials: Mapping[str, tuple[str, str]]) -> str:
    """``url`` with its host's credentials, when it has none of its own."""
    from urllib.parse import quote, urlsplit

    from tagpip.urls import netloc_key

    parts = urlsplit(url)
    if "@" in parts.netloc or "://" not in url:
        return url
    secret = credentials.get(netloc_key(url))
    if secret is None:
        return url
    user, password = (quote(part, safe="") for part in secret)
    userinfo = f"{user}:{password}" if password else user
    return parts._replace(netloc=f"{userinfo}@{parts.netloc}").geturl()


def _requirement(
    pin: Pin,
    user_hashes: Sequence[str],
    credentials: Mapping[str, tuple[str, str]] | None = None,
) -> PipRequirement:
    """How pip is asked for one pin: by name and version, or by URL (a direct link's, or, with
    ``credentials``, every file's: see :func:`gives_urls`)."""
    file = pin.file
    index_hashes = [
        f"{algo.lower()}:{digest.lower()}" for algo, digest in file.hashes if algo.lower() in STRONG
    ]
    if index_hashes:
        # One digest identifies the file: sha256 when the index gives it (every pip knows it).
        chosen: tuple[str, ...] = (sorted(index_hashes, key=_strength)[0],)
    else:
        chosen = tuple(
            text for text in (_normal_hash(h) for h in user_hashes) if text.split(":")[0] in STRONG
        )
    url = None
    if any(line.requirement.url for line in pin.lines):
        url = file.url
    elif credentials is not None:
        url = _with_credentials(file.url, credentials)
    return PipRequirement(
        name=pin.name, version=pin.version, filename=file.filename, url=url, hashes=chosen
    )


def _strength(text: str) -> tuple[int, str]:
    # sha256 first: every pip and every index know it.
    return (STRONG.index(text.split(":")[0]), text)


def _normal_hash(text: str) -> str:
    algo, sep, digest = text.partition(":")
    if not sep:
        algo, _, digest = text.partition("=")
    return f"{algo.strip().lower()}:{digest.strip().lower()}"


def _pip_accepts_python(file: DistFile, python_version: str) -> bool:
    """Whether pip, told ``--python-version python_version``, accepts the file's
    Requires-Python (pip reads ``3.6`` as ``3.6.0``)."""
    if not file.requires_python:
        return True
    try:
        spec = SpecifierSet(file.requires_python)
    except InvalidSpecifier:
        return True  # pip ignores a Requires-Python it cannot parse, as tagpip does
    return spec.contains(python_version, prereleases=True)


def _hash_problem(
    file: DistFile, digests: Mapping[str, str], user_hashes: Sequence[str]
) -> str | None:
    # Every digest the link gives, in every algorithm pip checks (md5 too), as the downloader.
    wrong = link_mismatch([(a, d) for a, d in file.hashes if a.lower() in digests], digests)
    if wrong is not None:
        algo, digest, actual = wrong
        return f"its link says {algo}:{digest}, the file is {algo}:{actual}"
    allowed: dict[str, list[str]] = {}
    for text in user_hashes:
        algo, _, digest = _normal_hash(text).partition(":")
        if algo in STRONG:
            allowed.setdefault(algo, []).append(digest)
    for algo, digests_allowed in sorted(allowed.items()):
        got = digests.get(algo)
        if got is not None and got not in digests_allowed:
            return f"--hash allows {', '.join(sorted(digests_allowed))}, the file is {algo}:{got}"
    return None


_URL_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--proxy")


_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")


def _has_credentials(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return "@" in url


def _pairs(args: Sequence[str]) -> list[tuple[str, str]]:
    """(option, value) for each option of ``args`` that is followed by a value."""
    return [(args[i], args[i + 1]) for i in range(len(args) - 1)]


def _redacted(args: Sequence[str]) -> list[str]:
    out: list[str] = []
    for position, value in enumerate(args):
        previous = args[position - 1] if position else ""
        out.append(redact_url(value) if previous in _URL_OPTIONS else value)
    return out
