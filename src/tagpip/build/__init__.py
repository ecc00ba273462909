"""Building pure-Python sdists into wheels for a target."""
