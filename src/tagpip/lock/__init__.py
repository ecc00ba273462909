"""Lock files: the model, the formats, and fetching from a lock."""
