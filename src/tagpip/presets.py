"""Named targets for places people deploy to, each with the source of its facts.

A preset is only a short name for pip's flags (``--python-version`` and ``--platform``); its
glibc level is the one the place's operating system ships, so that ``manylinux_2_N`` expands to
exactly the wheels that load there. Sources are listed in docs/targets.md, whose preset table
tests/test_target.py holds these facts to: a change on one side fails until the other follows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from tagpip.target import Target, TargetError

__all__ = ["PRESETS", "Preset", "preset", "preset_names"]

# AWS Lambda runtimes and their operating systems:
#   https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
# glibc of Amazon Linux 2 (2.26) and Amazon Linux 2023 (2.34):
#   https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html
_LAMBDA_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
_AL_GLIBC_DOCS = "https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html"
_LAMBDA_OS = {
    "3.9": ("Amazon Linux 2", (2, 26)),
    "3.10": ("Amazon Linux 2", (2, 26)),
    "3.11": ("Amazon Linux 2", (2, 26)),
    "3.12": ("Amazon Linux 2023", (2, 34)),
    "3.13": ("Amazon Linux 2023", (2, 34)),
    "3.14": ("Amazon Linux 2023", (2, 34)),
}
# Lambda's architecture names and the Linux machine names wheels use for them.
_LAMBDA_ARCHS = {"x86_64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Preset:
    """A named target: what it stands for, the flags it means, and where the facts come from."""

    name: str
    description: str
    python_version: str
    platforms: tuple[str, ...]
    implementation: str = "cp"
    sources: tuple[str, ...] = ()

    def target(self) -> Target:
        """The target this preset names."""
        target = Target.from_flags(self.platforms, self.python_version, self.implementation, ())
        return Target(
            implementation=target.implementation,
            python_version=target.python_version,
            abis=target.abis,
            platforms=target.platforms,
            tags=target.tags,
            markers=target.markers,
            source=f"the preset {self.name}",
        )


def _lambda_presets() -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for version, (os_name, glibc) in _LAMBDA_OS.items():
        for lambda_arch, machine in _LAMBDA_ARCHS.items():
            name = f"aws-lambda-python{version}-{lambda_arch}"
            presets[name] = Preset(
                name=name,
                description=(
                    f"AWS Lambda python{version} runtime on {lambda_arch} "
                    f"({os_name}, glibc {glibc[0]}.{glibc[1]})"
                ),
                python_version=version,
                platforms=(f"manylinux_{glibc[0]}_{glibc[1]}_{machine}",),
                sources=(_LAMBDA_DOCS, _AL_GLIBC_DOCS),
            )
    return presets


PRESETS: dict[str, Preset] = _lambda_presets()


def preset_names() -> list[str]:
    """Every preset name, in a stable order."""
    return sorted(PRESETS)


def preset(name: str) -> Target:
    """The target of the preset ``name``; TargetError (with the nearest name) if there is none."""
    found = PRESETS.get(name.strip().lower())
    if found is None:
        close = difflib.get_close_matches(name.strip().lower(), preset_names(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see tagpip tags --list-presets"
        raise TargetError(f"unknown preset {name!r}", hint=hint)
    return found.target()
