"""The package version (single source, read by pyproject.toml)."""
version = "0.1.0"
__version__ = version
