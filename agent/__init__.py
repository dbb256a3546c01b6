"""agent: a plan-code-test coding agent that runs code instead of guessing."""

__version__ = "0.1.0"
