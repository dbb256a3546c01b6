"""Git plumbing behind `agent.gitops.checkpoints.Workspace`: trees of the working tree, restores, results.

Everything here talks to git through its plumbing commands and never writes the user's
index, HEAD or stash; the few functions that do (committing a result) say so.
"""
