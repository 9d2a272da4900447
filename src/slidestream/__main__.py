"""`python -m slidestream` runs the CLI."""

from slidestream.cli import app

app()
