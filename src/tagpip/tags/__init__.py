"""Tag words: the vocabulary, platform tags and the tokens of a tag block."""
