"""``python -m tagpip``: the same entry point as the ``tagpip`` console script."""

from __future__ import annotations

from tagpip.cli import console

if __name__ == "__main__":
    console()
