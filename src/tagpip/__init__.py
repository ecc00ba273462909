"""tagpip: the right wheels for a machine that is not the one you are on.

Wheel tags become part of requirement syntax (``cryptography==3.2[manylinux1,cp36,x86_64]``) and
tagpip resolves, downloads, installs and locks wheels for that target, evaluating environment
markers for the target rather than the host.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
