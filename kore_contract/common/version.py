"""The package's version, in one place: `kore_contract.__version__`, `kore-contract --version`
and the `tool` of results.json all read it here (pyproject.toml states the same number)."""

__version__ = "0.1.0"
