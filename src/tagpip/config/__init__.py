"""pip's configuration and the option words files and the command line share."""
