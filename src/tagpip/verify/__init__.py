"""Proving that an installed folder or a bundle imports on the target itself."""
