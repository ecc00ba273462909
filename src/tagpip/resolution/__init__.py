"""Resolving requirements for a target into pinned wheels."""
