"""daima: a local coding assistant served over LSP."""

__version__ = "0.1.0"
