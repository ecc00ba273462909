"""The package index: pages, metadata, caches and the network under them."""
