"""Review: what the session touched in the workspace, tracked or not, and which of it runs code."""
