"""The target: one interpreter on one platform, and the ways one is made."""
