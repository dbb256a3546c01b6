"""`agent acp`: the Agent Client Protocol over stdio, so editors (Zed, JetBrains, Neovim) and
Toad drive a session: the plan, each tool call and diff, permissions asked in the editor.

server.py answers the protocol's methods, prompts.py runs a prompt's session on a thread,
updates.py turns our events into `session/update` notifications, and permissions.py maps the
approvals of suggest mode onto `session/request_permission`.
"""
