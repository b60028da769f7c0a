"""Game commands over a moto stack: config published to the table, players seeded through
the real decide + commit path (so their ledgers are real)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from events.models import EventDetail
from shared.adapters.config_store import ConfigStore
from shared.adapters.game_pools import GamePools
from shared.adapters.player_store import Commit
from shared.domain.run.decide import decide_all
from shared.services.config_cache import ConfigCache
from shared.services.game_commands import GameCommands


class FirstPrize:
    """An RNG that always rolls 0: the first prize still payable wins (deterministic races)."""

    def randrange(self, start: int, /) -> int:
        return 0


def publish_game(
    config: ConfigStore,
    now: Any,
    *,
    wheels: Iterable[dict[str, Any]] = (),
    items: Iterable[dict[str, Any]] = (),
    rules: Iterable[dict[str, Any]] = (),
    badges: Iterable[str] = (),
) -> None:
    for badge in badges:
        config.put_game("badge", {"badge_id": badge, "name": badge}, actor="test", now=now)
    for raw in wheels:
        config.put_game("wheel", raw, actor="test", now=now)
    for raw in items:
        config.put_game("store_item", raw, actor="test", now=now)
    for rule in rules:
        config.put_rule(rule, actor="test", now=now)
    config.publish()


def commands(embedded: Any, rng: Any = None, **kw: Any) -> GameCommands:
    ddb = embedded.runtime.clients.client("dynamodb")
    return GameCommands(
        embedded.runtime.players,
        GamePools(embedded.resources.player_table, ddb),
        ConfigCache(ConfigStore(embedded.resources.config_table, ddb)),
        embedded.clock,
        rng=rng,
        **kw,
    )


def seed(embedded: Any, player_id: str, events: list[EventDetail]) -> None:
    """Apply events as the engine would: decide, then one commit."""
    players = embedded.runtime.players
    ddb = embedded.runtime.clients.client("dynamodb")
    config = ConfigCache(ConfigStore(embedded.resources.config_table, ddb)).current()
    loaded = players.load(player_id, [e.event_id for e in events])
    decision = decide_all(loaded.state, events, config, embedded.clock.now())
    players.commit(
        Commit(
            player_id=player_id,
            state=decision.state,
            expected_version=loaded.state.version,
            event_ids=[e.event_id for e in events],
            ledger=decision.ledger,
            outbox=decision.outbox,
            audit=decision.audit,
        ),
        now=embedded.clock.now(),
        dedupe_for=timedelta(days=30),
    )


def balance_matches_ledger(embedded: Any, player_id: str) -> tuple[int, int]:
    players = embedded.runtime.players
    state = players.state(player_id)
    assert state is not None
    return state.points_balance, sum(e.points for e in players.ledger(player_id))
