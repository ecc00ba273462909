"""``python -m tagpip``: the same entry point as the ``tagpip`` console script."""

from __future__ import annotations

import sys

from tagpip.cli import main

if __name__ == "__main__":
    sys.exit(main())
