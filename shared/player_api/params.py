"""Parameters and errors every player API route module shares."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from events.models import PlayerId


def _contract(name: str) -> Any:
    """A constraint of the event contract's PlayerId (one definition, not a copied regex)."""
    for meta in PlayerId.__metadata__[0].metadata:  # type: ignore[attr-defined]
        if hasattr(meta, name):
            return getattr(meta, name)
    raise LookupError(name)


PlayerIdPath = Annotated[
    str,
    Path(
        min_length=_contract("min_length"),
        max_length=_contract("max_length"),
        pattern=_contract("pattern"),
        description="The operator's player id, as in the events.",
    ),
]


class NotFound(Exception):
    """No such thing (message, program, board ...): answered 404 with the reason."""


class UnknownPlayer(NotFound):
    """The engine has never seen this player: answered 404 `unknown_player`."""

    def __init__(self, player_id: str) -> None:
        super().__init__(f"no player {player_id!r} (no event of theirs was applied yet)")


class BadRequest(Exception):
    """A parameter that passed its pattern but means nothing here: answered 400."""
