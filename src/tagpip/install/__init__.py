"""Installing wheels into a --target folder."""
