"""The one exception a tool raises to tell the model what went wrong."""


class ToolError(Exception):
    """A problem the model can act on; its message becomes an error tool result."""
