"""slidestream: self-hosted AI presentation generator with resumable streaming."""

__version__ = "0.1.0"
