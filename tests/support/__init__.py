"""Test support: wheels built on the fly and a real simple-repository server on 127.0.0.1."""
