"""The one price table: US dollars per million tokens, by model name prefix.

Cache writes and reads are priced apart from plain input (Anthropic: writes 1.25x input
for the 5-minute cache, reads 0.1x; OpenAI: cached input at its own price, no write
surcharge). A model not in the table (a local server, say) costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.messages import Usage


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of each kind."""

    input: float
    output: float
    cache_write: float
    cache_read: float


def _anthropic(input_price: float, output_price: float) -> Price:
    return Price(input_price, output_price, input_price * 1.25, input_price * 0.1)


def _openai(input_price: float, output_price: float, cached: float) -> Price:
    return Price(input_price, output_price, input_price, cached)


PRICES: dict[str, Price] = {
    "claude-opus-5-5": _anthropic(4.0, 20.0),
    "claude-opus-5": _anthropic(5.0, 25.0),
    "claude-sonnet-5-5": _anthropic(2.0, 10.0),
    "claude-sonnet-5": _anthropic(2.0, 10.0),
    "claude-sonnet-4-6": _anthropic(3.0, 15.0),
    "claude-opus-4-5": _anthropic(5.0, 25.0),
    "claude-opus-4-1": _anthropic(15.0, 75.0),
    "claude-opus-4": _anthropic(15.0, 75.0),
    "claude-sonnet-4-5": _anthropic(3.0, 15.0),
    "claude-sonnet-4": _anthropic(3.0, 15.0),
    "claude-3-7-sonnet": _anthropic(3.0, 15.0),
    "claude-haiku-4-5": _anthropic(1.0, 5.0),
    "claude-3-5-haiku": _anthropic(0.8, 4.0),
    "gpt-5-mini": _openai(0.25, 2.0, 0.025),
    "gpt-5": _openai(1.25, 10.0, 0.125),
    "gpt-4.1-mini": _openai(0.4, 1.6, 0.1),
    "gpt-4.1": _openai(2.0, 8.0, 0.5),
    "gpt-4o-mini": _openai(0.15, 0.6, 0.075),
    "gpt-4o": _openai(2.5, 10.0, 1.25),
}


def price_for(model: str) -> Price | None:
    """The price of the longest table entry that starts `model`, if any."""
    matches = [name for name in PRICES if model.startswith(name)]
    return PRICES[max(matches, key=len)] if matches else None


def cost(model: str, usage: Usage) -> float:
    """Dollars for one call's usage (0.0 for models not in the table)."""
    price = price_for(model)
    if price is None:
        return 0.0
    return (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    ) / 1_000_000


def with_cost(model: str, usage: Usage) -> Usage:
    """The same usage with `cost_usd` filled in from the table."""
    return Usage(
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
        usage.cache_write_tokens,
        cost(model, usage),
        usage.unknown,
    )
