"""Downloading pinned files into a folder."""
