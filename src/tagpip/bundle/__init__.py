"""Deployable zips and folders made from an installed folder."""
