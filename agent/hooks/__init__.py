"""The pre-commit hook's parts: what is checked, which tests it touches, the cache, the model.

The entry points are in `agent.hooks.precommit` (`check`, `review`, `install`); the commands in
`agent.commands.hook`; the hook declarations in `.pre-commit-hooks.yaml` at the root.
"""
