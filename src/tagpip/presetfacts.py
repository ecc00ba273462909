"""The facts behind the named targets: each place people deploy to, in its own words, with the C
library, the Pythons and the machines it runs, and where each fact was read.

Pure data, kept apart from :mod:`tagpip.target.presets` (which turns a row into a
:class:`~tagpip.target.value.Target`) so that ``--help`` can name the presets without importing the
target machinery. A fact comes from the place's own package data where it publishes some (a
distribution's archive: the version of its ``libc6``/``glibc`` package and of its ``python3``
package), else from its own documentation; the comment above each row says which, and
``tagpip tags --list-presets`` prints the row's ``source``. docs/targets.md shows the same table,
and tests/test_presets.py holds the two together.

The Python version of a row is X.Y.Z where the place pins the patch level of its interpreter for
the life of the release (Debian and Ubuntu keep the upstream version and backport fixes; Pyodide
builds one CPython per release), and X.Y where it moves (RHEL's minor releases, Amazon Linux's
quarterly ones and the container images behind Azure Functions rebase the interpreter): an X.Y
target follows docs/targets.md's ``python_full_version`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RELEASES", "Release", "help_summary"]


@dataclass(frozen=True)
class Release:
    """One place: an OS release (or a service's runtime) and the machines it runs on.

    ``key`` and each of ``archs``' first words make the preset names (``debian-12`` and
    ``arm64`` give ``debian-12-arm64``; a single-machine place with an empty word is named
    ``key`` alone); ``aliases`` are other vendors' names for the same build (the RHEL rebuilds).
    ``python`` is the Python the place runs by default, ``pythons`` the others it packages
    (``--python-version`` picks one; the C library stays the release's). ``glibc`` is None for a
    place whose platform is not a Linux one (``platform`` then names it). ``plain_linux``:
    whether the interpreter also takes its machine's plain ``linux_<arch>`` wheels, first, as a
    real one does (packaging 26.3 and later): true of a system people install wheels on, which is
    what a wheel built there is tagged with; the Lambda presets keep to manylinux.
    """

    key: str
    title: str  # the place in its own words: "Debian 12 (bookworm)"
    python: str
    archs: tuple[tuple[str, str], ...]  # (the place's word for the machine, Linux's machine)
    source: str
    glibc: tuple[int, int] | None = None
    pythons: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    platform: str | None = None  # a non-Linux platform tag (Emscripten)
    note: str = ""  # what a user should know about the row, in one line
    plain_linux: bool = True

    def facts(self) -> str:
        """The release's facts in a few words: ``glibc 2.36, CPython 3.11.2 (also 3.12)``."""
        libc = f"glibc {self.glibc[0]}.{self.glibc[1]}, " if self.glibc else ""
        platform = f"{self.platform}, " if self.platform else ""
        also = f" (also {', '.join(self.pythons)})" if self.pythons else ""
        return f"{libc}{platform}CPython {self.python}{also}"

    def names(self) -> list[tuple[str, str, str]]:
        """(preset name, the place's machine word, the Linux machine) for every name."""
        rows: list[tuple[str, str, str]] = []
        for key in (self.key, *self.aliases):
            for word, machine in self.archs:
                rows.append((f"{key}-{word}" if word else key, word, machine))
        return rows


_DEBIAN_ARCHS = (("amd64", "x86_64"), ("arm64", "aarch64"), ("armhf", "armv7l"), ("i386", "i686"))
_TWO = (("x86_64", "x86_64"), ("aarch64", "aarch64"))
_UBUNTU_ARCHS = (("amd64", "x86_64"), ("arm64", "aarch64"))
_AMAZON_ARCHS = (("x86_64", "x86_64"), ("arm64", "aarch64"))  # EC2's names, as Lambda's
_PI_ARCHS = (("arm64", "aarch64"), ("armhf", "armv7l"))

_LAMBDA_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
_AL_GLIBC_DOCS = "https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html"
_DEBIAN = (
    "the Debian archive, deb.debian.org/debian/dists/{suite}/main/"
    "binary-{{amd64,arm64,armhf{i386}}}/Packages: {packages}"
)
_UBUNTU = (
    "the Ubuntu archive, archive.ubuntu.com/ubuntu/dists/{suite}/main/binary-amd64/Packages: "
    "{packages} (arm64 builds the same source versions on ports.ubuntu.com)"
)
_RHEL_DOCS = (
    "https://docs.redhat.com/en/documentation/red_hat_enterprise_linux/{major}/html/"
    "installing_and_using_dynamic_programming_languages/"
    "assembly_introduction-to-python_installing-and-using-dynamic-programming-languages"
)

RELEASES: tuple[Release, ...] = (
    # --- AWS Lambda: each Python runtime AWS lists, on both of Lambda's architectures (arm64 is
    # Linux's aarch64). The runtimes' operating systems: AWS's runtime tables
    # (lambda-runtimes.html, lambda-python.html); the glibc of Amazon Linux 2 (2.26) and Amazon
    # Linux 2023 (2.34): "Improved toolchain: gcc, binutils, and glibc". AWS updates a runtime's
    # patch level without a new name, so the version is X.Y.
    *(
        Release(
            key=f"aws-lambda-python{version}",
            title=f"AWS Lambda python{version} runtime ({os_name})",
            glibc=glibc,
            python=version,
            archs=_AMAZON_ARCHS,
            source=f"{_LAMBDA_DOCS}, {_AL_GLIBC_DOCS}",
            plain_linux=False,
        )
        for version, os_name, glibc in (
            ("3.9", "Amazon Linux 2", (2, 26)),
            ("3.10", "Amazon Linux 2", (2, 26)),
            ("3.11", "Amazon Linux 2", (2, 26)),
            ("3.12", "Amazon Linux 2023", (2, 34)),
            ("3.13", "Amazon Linux 2023", (2, 34)),
            ("3.14", "Amazon Linux 2023", (2, 34)),
        )
    ),
    # --- Debian: deb.debian.org's Packages files of each suite and architecture, read
    # 2026-12-06 (the four architectures carry the same versions). The default Python is the
    # one the `python3` package depends on; Debian packages no other CPython in a release.
    # bullseye: libc6 2.31-13+deb11u11; python3 3.9.2-3 -> python3.9 3.9.2-1.
    Release(
        key="debian-11",
        title="Debian 11 (bullseye)",
        glibc=(2, 31),
        python="3.9.2",
        archs=_DEBIAN_ARCHS,
        source=_DEBIAN.format(
            suite="bullseye", i386=",i386", packages="libc6 2.31-13+deb11u11, python3.9 3.9.2-1"
        ),
    ),
    # bookworm: libc6 2.36-9+deb12u14; python3 3.11.2-1+b1 -> python3.11 3.11.2-6+deb12u8.
    Release(
        key="debian-12",
        title="Debian 12 (bookworm)",
        glibc=(2, 36),
        python="3.11.2",
        archs=_DEBIAN_ARCHS,
        source=_DEBIAN.format(
            suite="bookworm",
            i386=",i386",
            packages="libc6 2.36-9+deb12u14, python3.11 3.11.2-6+deb12u8",
        ),
    ),
    # trixie: libc6 2.41-12+deb13u5; python3 3.13.5-1 -> python3.13 3.13.5-2+deb13u5. i386 is
    # no longer a release architecture of Debian 13 (no kernel, no installer: its packages
    # serve 32-bit programs on amd64, whose kernel reports x86_64), so there is no i386 preset.
    Release(
        key="debian-13",
        title="Debian 13 (trixie)",
        glibc=(2, 41),
        python="3.13.5",
        archs=_DEBIAN_ARCHS[:3],
        source=_DEBIAN.format(
            suite="trixie", i386="", packages="libc6 2.41-12+deb13u5, python3.13 3.13.5-2+deb13u5"
        ),
    ),
    # --- Ubuntu LTS: archive.ubuntu.com's Packages files of the release and its -updates
    # pocket (what an updated system runs), main and universe, read 2026-12-06.
    # focal: libc6 2.31-0ubuntu9.18, python3.8 3.8.10-0ubuntu1~20.04.18 (focal-updates; the
    # release had 3.8.2); universe python3.9 3.9.5-3ubuntu0~20.04.1.
    Release(
        key="ubuntu-20.04",
        title="Ubuntu 20.04 LTS (focal)",
        glibc=(2, 31),
        python="3.8.10",
        pythons=("3.9.5",),
        archs=_UBUNTU_ARCHS,
        source=_UBUNTU.format(
            suite="focal-updates",
            packages="libc6 2.31-0ubuntu9.18, python3.8 3.8.10-0ubuntu1~20.04.18; "
            "universe: python3.9 3.9.5-3ubuntu0~20.04.1",
        ),
    ),
    # jammy: libc6 2.35-0ubuntu3.18, python3.10 3.10.12-1~22.04.18 (jammy-updates); universe
    # python3.11 3.11.0~rc1-1~22.04.1, a release candidate: taken as 3.11, no patch level.
    Release(
        key="ubuntu-22.04",
        title="Ubuntu 22.04 LTS (jammy)",
        glibc=(2, 35),
        python="3.10.12",
        pythons=("3.11",),
        archs=_UBUNTU_ARCHS,
        source=_UBUNTU.format(
            suite="jammy-updates",
            packages="libc6 2.35-0ubuntu3.18, python3.10 3.10.12-1~22.04.18; "
            "universe: python3.11 3.11.0~rc1-1~22.04.1",
        ),
    ),
    # noble: libc6 2.39-0ubuntu8.12, python3.12 3.12.3-1ubuntu0.18 (noble-updates); no other
    # CPython in main or universe.
    Release(
        key="ubuntu-24.04",
        title="Ubuntu 24.04 LTS (noble)",
        glibc=(2, 39),
        python="3.12.3",
        archs=_UBUNTU_ARCHS,
        source=_UBUNTU.format(
            suite="noble-updates", packages="libc6 2.39-0ubuntu8.12, python3.12 3.12.3-1ubuntu0.18"
        ),
    ),
    # --- RHEL and its rebuilds (Rocky Linux, AlmaLinux: the same packages, rebuilt). glibc from
    # the BaseOS repositories' glibc package: glibc-2.28-*.el8 (CentOS 8 BaseOS),
    # glibc-2.34-*.el9 (AlmaLinux 9 BaseOS, glibc-2.34-275.el9_8 in 9.8), glibc-2.39-*.el10
    # (CentOS Stream 10 BaseOS, RHEL 10's upstream). Pythons from Red Hat's "Introduction to
    # Python" chapter of each release, whose table lists the default and the AppStream ones.
    # RHEL 8's default Python 3.6 is python3-3.6.8-*.el8 for the whole release (3.6.8-47, -48 in
    # the BaseOS/AppStream repositories); RHEL 9 and 10 rebase theirs in minor releases
    # (python3-3.9.10 ... 3.9.19 in 9.x, python3-3.12.9 in 10.0), so those stay X.Y.
    Release(
        key="rhel-8",
        title="Red Hat Enterprise Linux 8",
        glibc=(2, 28),
        python="3.6.8",
        pythons=("3.8", "3.9", "3.11", "3.12"),
        archs=_TWO,
        aliases=("rocky-8", "almalinux-8"),
        source=_RHEL_DOCS.format(major=8) + "; glibc-2.28-*.el8, python3-3.6.8-*.el8 (BaseOS)",
    ),
    Release(
        key="rhel-9",
        title="Red Hat Enterprise Linux 9",
        glibc=(2, 34),
        python="3.9",
        pythons=("3.11", "3.12"),
        archs=_TWO,
        aliases=("rocky-9", "almalinux-9"),
        source=_RHEL_DOCS.format(major=9) + "; glibc-2.34-*.el9 (BaseOS)",
    ),
    Release(
        key="rhel-10",
        title="Red Hat Enterprise Linux 10",
        glibc=(2, 39),
        python="3.12",
        archs=_TWO,
        aliases=("rocky-10", "almalinux-10"),
        source="https://developers.redhat.com/articles/2025/03/13/how-rhel-provides-secure-and-"
        "stable-python-streams (Python 3.12, RHEL 10's Python for its whole life); "
        "glibc-2.39-*.el10 (CentOS Stream 10 BaseOS)",
    ),
    # --- Amazon Linux outside Lambda. glibc: AWS's "Improved toolchain" page (2.26 for AL2,
    # 2.34 for AL2023), the same source as the Lambda presets. AL2's python3 package is 3.7
    # (its amazon-linux-extras topic python3.8 adds 3.8); AL2 reached its end of life on
    # 2026-06-30. AL2023: "Python in AL2023": /usr/bin/python3 is 3.9 for the life of AL2023,
    # and python3.11, 3.12, 3.13 and 3.14 are packaged beside it.
    Release(
        key="amazon-linux-2",
        title="Amazon Linux 2",
        glibc=(2, 26),
        python="3.7",
        pythons=("3.8",),
        archs=_AMAZON_ARCHS,
        source=f"{_AL_GLIBC_DOCS} (glibc 2.26); the python3 package (3.7) and the python3.8 "
        "topic of amazon-linux-extras",
        note="end of life 2026-06-30",
    ),
    Release(
        key="amazon-linux-2023",
        title="Amazon Linux 2023",
        glibc=(2, 34),
        python="3.9",
        pythons=("3.11", "3.12", "3.13", "3.14"),
        archs=_AMAZON_ARCHS,
        source=f"https://docs.aws.amazon.com/linux/al2023/ug/python.html, {_AL_GLIBC_DOCS} "
        "(glibc 2.34)",
    ),
    # --- Raspberry Pi OS: the Raspberry Pi archive's Packages files (archive.raspberrypi.com
    # /debian/dists/{bookworm,trixie}/main/binary-arm64/Packages rebuild glibc as libc6
    # 2.36-9+rpt2+deb12u14 and 2.41-12+rpt1+deb13u4; the 32-bit OS comes from
    # raspbian.raspberrypi.com, Debian's sources rebuilt for ARMv6) over Debian's python3
    # (3.11.2, 3.13.5). The current OS is based on Debian 13 (trixie); "Legacy" on Debian 12.
    # armhf here is a Raspberry Pi 2, 3 or 4 on the 32-bit kernel (armv7l); a Pi 1 or Zero is
    # armv6l and a 64-bit kernel under the 32-bit OS reports armv8l: capture those with
    # --from-python.
    Release(
        key="raspios-bookworm",
        title="Raspberry Pi OS (Legacy), Debian 12 (bookworm)",
        glibc=(2, 36),
        python="3.11.2",
        archs=_PI_ARCHS,
        source="archive.raspberrypi.com/debian/dists/bookworm/main/binary-arm64/Packages: libc6 "
        "2.36-9+rpt2+deb12u14; python3.11 3.11.2 from Debian",
    ),
    Release(
        key="raspios-trixie",
        title="Raspberry Pi OS, Debian 13 (trixie)",
        glibc=(2, 41),
        python="3.13.5",
        archs=_PI_ARCHS,
        source="archive.raspberrypi.com/debian/dists/trixie/main/binary-arm64/Packages: libc6 "
        "2.41-12+rpt1+deb13u4; python3.13 3.13.5 from Debian",
    ),
    # --- Azure Functions (Linux, x64 only). The images Azure runs the Python worker in
    # (github.com/Azure/azure-functions-docker, host/4/): python310 and python311 under
    # bullseye/ (Debian 11, glibc 2.31), python312 and python313 under bookworm/ (Debian 12,
    # glibc 2.36); their CPython is built by the python and Oryx images and moves with them, so
    # the version is X.Y. The supported versions: learn.microsoft.com's "Supported languages".
    *(
        Release(
            key=f"azure-functions-python{version}",
            title=f"Azure Functions, Python {version} on Linux ({debian})",
            glibc=glibc,
            python=version,
            archs=(("", "x86_64"),),
            source="https://learn.microsoft.com/azure/azure-functions/supported-languages; "
            "github.com/Azure/azure-functions-docker "
            f"host/4/{folder}/python{version.replace('.', '')}",
        )
        for version, debian, glibc, folder in (
            ("3.10", "Debian 11", (2, 31), "bullseye/amd64/python"),
            ("3.11", "Debian 11", (2, 31), "bullseye/amd64/python"),
            ("3.12", "Debian 12", (2, 36), "bookworm/python"),
            ("3.13", "Debian 12", (2, 36), "bookworm/python"),
        )
    ),
    # --- Pyodide, and Cloudflare Python Workers, which run it. The platform of each Pyodide:
    # pyodide-build's compatibility table (reference/platform.html: 3.12 with Emscripten
    # 3.1.58, 3.13 with 4.0.9, pyemscripten_2026_0 = 3.14 with 5.0.3) and Pyodide's
    # Makefile.envs at 314.0.x (PYODIDE_ABI_VERSION 2026_0, PYVERSION 3.14.2,
    # PYODIDE_EMSCRIPTEN_VERSION 5.0.3). Only Pyodide 314 defines PEP 783's
    # PYEMSCRIPTEN_PLATFORM_VERSION; the older ones take wheels of their Emscripten platform only
    # (their own pyodide_* tag is not one packaging builds). Cloudflare: workers-py's pywrangler
    # (metadata.py: 3.12 with the python_workers flag, 3.13 from compatibility date 2025-09-29,
    # 3.14 behind pythonWorkers20260610; utils.py: CPython 3.12.7, 3.13.2, 3.14.2).
    Release(
        key="pyodide-314.0",
        title="Pyodide 314.0",
        python="3.14.2",
        archs=(("", "wasm32"),),
        platform="pyemscripten_2026_0_wasm32",
        source="Pyodide's Makefile.envs at 314.0.x; https://pyodide-build.readthedocs.io "
        "reference/platform",
    ),
    Release(
        key="pyodide-0.28",
        title="Pyodide 0.28 and 0.29",
        python="3.13.2",
        archs=(("", "wasm32"),),
        aliases=("pyodide-0.29",),
        platform="emscripten_4_0_9_wasm32",
        source="https://pyodide-build.readthedocs.io reference/platform (3.13, Emscripten 4.0.9)",
    ),
    Release(
        key="pyodide-0.27",
        title="Pyodide 0.27",
        python="3.12.7",
        archs=(("", "wasm32"),),
        platform="emscripten_3_1_58_wasm32",
        source="https://pyodide-build.readthedocs.io reference/platform (3.12, Emscripten 3.1.58)",
    ),
    *(
        Release(
            key=f"cloudflare-python-workers-{version[:4]}",
            title=f"Cloudflare Python Workers, Python {version[:4]} ({flag})",
            python=version,
            archs=(("", "wasm32"),),
            platform=platform,
            source="github.com/cloudflare/workers-py packages/cli/src/pywrangler/metadata.py "
            "and utils.py; https://developers.cloudflare.com/workers/languages/python/",
            note=note,
        )
        for version, flag, platform, note in (
            # 3.12: Pyodide 0.26 (3.12.1) at first, 0.27 (3.12.7) since; both Emscripten 3.1.58.
            ("3.12", "python_workers", "emscripten_3_1_58_wasm32", ""),
            (
                "3.13.2",
                "compatibility date 2025-09-29 or python_workers_20250116",
                "emscripten_4_0_9_wasm32",
                "",
            ),
            (
                "3.14.2",
                "pythonWorkers20260610",
                "pyemscripten_2026_0_wasm32",
                "experimental in Cloudflare's words",
            ),
        )
    ),
)


def help_summary() -> str:
    """The preset names in a few patterns, for ``--help``: ``debian-{11,12}-{amd64,...}``."""
    import re

    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for release in RELEASES:
        for key in (release.key, *release.aliases):
            match = re.search(r"\d", key)
            stem, number = (key[: match.start()], key[match.start() :]) if match else (key, "")
            words = tuple(word for word, _ in release.archs)
            groups.setdefault((stem, words), []).append(number)
    parts: list[str] = []
    for (stem, words), numbers in groups.items():
        versions = numbers[0] if len(numbers) == 1 else "{" + ",".join(numbers) + "}"
        machines = ""
        if any(words):
            machines = "-" + (words[0] if len(words) == 1 else "{" + ",".join(words) + "}")
        parts.append(f"{stem}{versions}{machines}")
    return ", ".join(parts)
