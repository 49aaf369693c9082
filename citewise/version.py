"""The version every answer and evaluation report records (keep equal to pyproject.toml's)."""

__version__ = "0.1.0"
