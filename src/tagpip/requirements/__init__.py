"""Requirement lines and pip-format requirement files."""
