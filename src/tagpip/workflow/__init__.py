"""The library layer of the commands."""
