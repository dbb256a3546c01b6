"""Prompt templates (Jinja, StrictUndefined) and the one function that renders them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **values: object) -> str:
    """Render `prompts/NAME.j2` with `values`; a missing value is an error, never blank."""
    return _environment().get_template(f"{name}.j2").render(**values).strip() + "\n"
