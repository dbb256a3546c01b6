"""The ACP agent: `initialize`, `session/new`, `session/load`, `session/prompt`,
`session/cancel` and `session/set_mode`, answered with our own loop, store and sandbox.

A client that offers `fs/write_text_file` or `terminal/*` is still not asked to edit or run
anything: edits and commands go through our sandbox and checkpoints, so undo and the review
see them. Bad input (an unknown session, a folder that is not a repository, a config that
does not load) is answered with an ACP error carrying our one-line message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from acp import PROTOCOL_VERSION, RequestError
from acp.schema import (
    AgentCapabilities,
    Implementation,
    InitializeResponse,
    LoadSessionResponse,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionMode,
    SessionModeState,
)

from agent.acp.outbox import Outbox
from agent.acp.turns import AcpSession, Launch
from agent.errors import UserError
from agent.oversight import MODE_HELP, MODES, Oversight

INVALID_PARAMS = -32602


def refused(message: str) -> RequestError:
    """An ACP error whose message is the one line a person reads."""
    return RequestError(INVALID_PARAMS, message)


class AcpAgent:
    """The agent side of one client connection."""

    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self.client = None
        self.sessions: dict[str, AcpSession] = {}
        self.read_buffers = False

    def on_connect(self, conn) -> None:
        """The SDK hands over the connection to the client."""
        self.client = conn

    async def initialize(
        self, protocol_version: int, client_capabilities=None, client_info=None, **_
    ) -> InitializeResponse:
        """What we speak: load_session, prompts with embedded files."""
        from agent import __version__

        fs = getattr(client_capabilities, "fs", None)
        self.read_buffers = bool(getattr(fs, "read_text_file", False))
        return InitializeResponse(
            protocol_version=min(protocol_version, PROTOCOL_VERSION),
            agent_capabilities=AgentCapabilities(
                load_session=True, prompt_capabilities=PromptCapabilities(embedded_context=True)
            ),
            agent_info=Implementation(name="agent", title="agent", version=__version__),
        )

    async def new_session(self, cwd: str, mcp_servers=None, **_) -> NewSessionResponse:
        """A session on the repository at `cwd`, under that repository's config."""
        from agent.session import new_session_id

        root = _repository(cwd, self.launch)
        session = self._register(new_session_id(), root, stored=False)
        return NewSessionResponse(session_id=session.id, modes=_modes(session))

    async def load_session(
        self, cwd: str, session_id: str, mcp_servers=None, **_
    ) -> LoadSessionResponse:
        """Resume a stored session: its updates are sent again, then it takes prompts."""
        from agent.session import SessionStore

        root = _repository(cwd, self.launch)
        known = self.sessions.get(session_id)
        if known is not None and known.running:
            raise refused(f"session {session_id} is running a prompt; cancel it first")
        try:
            store = SessionStore.open(root)
            record = store.get(session_id)
            events = store.events(record.id)
        except UserError as problem:
            raise refused(str(problem)) from None
        if record.id != session_id:
            raise refused(f"no session {session_id!r} in {root}")
        if known is not None:
            await known.outbox.close()
        session = self._register(session_id, root, stored=True)
        await replay(session, record.task, events)
        return LoadSessionResponse(modes=_modes(session))

    async def prompt(self, prompt, session_id: str, **_) -> PromptResponse:
        """Run the loop on the prompt (a follow-up continues the session)."""
        session = self._session(session_id)
        if session.running:
            raise refused(f"session {session_id} is already running a prompt; cancel it first")
        text = prompt_text(prompt)
        if not text.strip():
            raise refused("the prompt has no text; say what the agent should do")
        try:
            stop = await session.prompt(text, self.launch)
        except UserError as problem:
            raise refused(str(problem)) from None
        return PromptResponse(stop_reason=stop)

    async def cancel(self, session_id: str, **_) -> None:
        """Stop the session's running prompt at its next safe point."""
        session = self.sessions.get(session_id)
        if session is not None:
            session.cancel()

    async def set_session_mode(self, mode_id: str, session_id: str, **_) -> None:
        """Switch the permission mode (suggest, auto-edit, full-auto) from the next call."""
        session = self._session(session_id)
        if mode_id not in MODES:
            raise refused(f"unknown mode {mode_id!r}; use one of {', '.join(MODES)}")
        session.oversight.mode = mode_id

    async def shutdown(self) -> None:
        """The client went away: stop every run (each stays resumable)."""
        for session in self.sessions.values():
            session.cancel()
            await session.outbox.close()

    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise refused(
                f"unknown session {session_id!r}; start one with session/new "
                "or resume a stored one with session/load"
            )
        return session

    def _register(self, session_id: str, root: Path, stored: bool) -> AcpSession:
        oversight = Oversight(self.launch.mode)
        outbox = Outbox(self.client, session_id, root, asyncio.get_running_loop())
        oversight.ask_person = outbox.ask_person
        session = AcpSession(
            session_id, root, outbox, oversight, stored=stored, read_buffers=self.read_buffers
        )
        self.sessions[session_id] = session
        return session


def _repository(cwd: str, launch: Launch) -> Path:
    """The repository at `cwd`, its config loaded once to refuse a bad one now."""
    from agent.config import load_config
    from agent.confine import refuse_home_workspace
    from agent.gitops.checkpoints import Workspace

    if not Path(cwd).is_absolute():
        raise refused(f"cwd {cwd!r} is not an absolute path")
    try:
        root = Workspace.open(Path(cwd)).root
        refuse_home_workspace(root, launch.allow_home)
        load_config(root, launch.overrides)
    except UserError as problem:
        raise refused(str(problem)) from None
    return root


def _modes(session: AcpSession) -> SessionModeState:
    return SessionModeState(
        current_mode_id=session.oversight.mode,
        available_modes=[
            SessionMode(id=mode, name=mode, description=MODE_HELP[mode]) for mode in MODES
        ],
    )


def prompt_text(blocks) -> str:
    """The prompt's words, with any embedded file's text after them and links named."""
    parts = []
    for block in blocks:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource" and hasattr(block.resource, "text"):
            parts.append(f"\n[{block.resource.uri}]\n{block.resource.text}")
        elif kind == "resource_link":
            parts.append(f"[{block.name}: {block.uri}]")
        else:
            parts.append(f"[an attached {kind or 'item'} cannot be read here]")
    return "\n".join(parts)


async def replay(session: AcpSession, task: str, events) -> None:
    """A stored session's updates, sent again (its first task as the person's message)."""
    from acp import helpers

    client = session.outbox.client
    for event in events:
        if event.kind == "session_started" and not event.resumed:
            await client.session_update(
                session_id=session.id, update=helpers.update_user_message_text(task)
            )
        for update in session.outbox.translator.updates(event):
            await client.session_update(session_id=session.id, update=update)


async def serve(launch: Launch) -> None:
    """Answer one client on stdin/stdout until it goes away; its runs are then stopped."""
    from acp import run_agent

    agent = AcpAgent(launch)
    try:
        await run_agent(agent)
    finally:
        await agent.shutdown()
