"""The match document is built only for the fields a config's patterns read, and every field
it holds is exactly what the full document holds: rules, segments and boards answer the same."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from importlib import resources
from typing import Any

from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.state import PlayerState
from shared.domain.game.game_config import GAME_KINDS
from shared.domain.language.document_fields import DocumentFields
from shared.domain.run.decide import decide, match_document
from shared.playbooks import list_playbooks
from tests.builders import T0, deposit, failed_deposit, logged_in, registered, round_


def test_fields_are_collected_from_nested_objects_and_or_branches_under_event_and_player():
    fields = DocumentFields.of(
        [
            {"event": {"outcome": ["loss"]}, "player": {"rfm": {"m": [{"numeric": [">=", 4]}]}}},
            {"$or": [{"player": {"tier": ["gold"]}}, {"event": {"$or": [{"a": [1]}, {"b": [2]}]}}]},
            None,
        ]
    )

    assert fields == DocumentFields(
        event=frozenset({"outcome", "a", "b"}), player=frozenset({"rfm", "tier"})
    )


def test_a_pattern_testing_a_whole_object_as_a_leaf_needs_every_field_of_it():
    fields = DocumentFields.of([{"player": [{"exists": True}], "event": {"x": [1]}}])

    assert fields.player is None
    assert fields.event == frozenset({"x"})


def _realistic_config() -> ConfigSnapshot:
    starter = resources.files("shared.starter")
    rules: list[dict[str, Any]] = json.loads(starter.joinpath("rules.json").read_text())
    templates: list[dict[str, Any]] = json.loads(starter.joinpath("templates.json").read_text())
    game = {
        kind: json.loads(starter.joinpath("game", f"{kind}.json").read_text())
        for kind in GAME_KINDS
        if starter.joinpath("game", f"{kind}.json").is_file()
    }
    segments: list[dict[str, Any]] = []
    for playbook in list_playbooks():
        rules += playbook.rules
        templates += playbook.templates
        segments += playbook.segments
    return build_config(1, rules, templates, (), segments, game_items=game)


def _month(seed: int, player: str) -> list[Any]:
    rng = random.Random(seed)
    events: list[Any] = [registered(T0, player=player)]
    for day in range(20):
        if rng.random() < 0.4:
            continue
        t = T0 + timedelta(days=day, hours=rng.uniform(0, 20))
        events.append(logged_in(t, player=player))
        if rng.random() < 0.3:
            events.append(
                deposit(t + timedelta(minutes=1), rng.choice(("20", "100")), player=player)
            )
        if rng.random() < 0.1:
            events.append(failed_deposit(t + timedelta(minutes=2), player=player))
        for k in range(rng.randint(2, 8)):
            stake = rng.choice(("1", "5"))
            events.append(
                round_(
                    t + timedelta(minutes=5 + k),
                    stake,
                    rng.choice(("0", "0", stake, "10")),
                    category=rng.choice(("slots", "table", "sports")),
                    player=player,
                )
            )
    return events


def test_the_limited_document_agrees_with_the_full_one_on_every_event_of_a_realistic_month():
    config = _realistic_config()
    assert not config.problems
    checked = 0
    for seed in range(4):
        events = _month(seed, f"p-{seed}")
        state = PlayerState.new(events[0].player_id)
        for event in events:
            full = match_document(event, state)
            for fields in (config.match_fields, config.segment_fields):
                limited = match_document(event, state, fields)
                for top in ("event", "player"):
                    assert limited[top] == {k: full[top][k] for k in limited[top]}
                    wanted = getattr(fields, top)
                    assert set(limited[top]) == set(full[top]) & wanted
            limited = match_document(event, state, config.match_fields)
            assert config.rules.matching(event.detail_type, limited) == config.rules.matching(
                event.detail_type, full
            )
            for segment in config.segments:
                seg_doc = match_document(event, state, config.segment_fields)
                assert segment.matcher.matches(seg_doc) == segment.matcher.matches(full)
            for board_id, matcher in config.board_matchers.items():
                assert matcher.matches(limited) == matcher.matches(full), board_id
            state = decide(state, event, config, event.occurred_at).state
            checked += 1
    assert checked > 100
