"""The pip backend: the pip invocations that fetch a resolved set."""
