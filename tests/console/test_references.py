"""Which items refer to which, read from the raw documents of every kind."""

from __future__ import annotations

from shared.console.references import Ref, ref_of_item, referrers, refs_of


def test_a_rule_refers_to_templates_per_channel_badges_wheels_missions_and_segments():
    rule = {
        "rule_id": "r",
        "on": ["player.logged_in"],
        "match": {"player": {"segments": ["vip"], "badges": ["gold-fan"]}},
        "then": [
            {"send": {"template": "hello", "channel": "push"}},
            {"cascade": {"template": "later", "channels": ["push", "email"], "wait": "PT2H"}},
            {
                "schedule": {
                    "timer": "t",
                    "after": "P1D",
                    "then": [{"grant_spins": {"wheel": "daily"}}],
                }
            },
            {"join_mission": {"mission": "three-games"}},
            {"grant_badge": {"badge": "first"}},
        ],
    }

    assert refs_of(rule) == {
        Ref("template", "hello#push"),
        Ref("template", "later#push"),
        Ref("template", "later#email"),
        Ref("wheel", "daily"),
        Ref("mission", "three-games"),
        Ref("badge", "first"),
        Ref("badge", "gold-fan"),
        Ref("segment", "vip"),
    }


def test_wheel_prizes_and_store_items_refer_to_badges_and_wheels():
    wheel = {"wheel_id": "w", "prizes": [{"prize_id": "a", "badge": "lucky"}]}
    item = {"item_id": "s", "spins": {"wheel": "daily", "count": 2}}

    assert refs_of(wheel) == {Ref("badge", "lucky")}
    assert refs_of(item) == {Ref("wheel", "daily")}


def test_an_event_field_named_like_an_item_is_not_a_reference():
    rule = {"match": {"event": {"segments": ["x"], "category": ["slots"]}}}

    assert refs_of(rule) == set()


def test_only_enabled_items_hold_a_reference():
    items = {
        "rule": {
            "on": {"then": [{"grant_badge": {"badge": "b"}}]},
            "off": {"enabled": False, "then": [{"grant_badge": {"badge": "b"}}]},
        },
        "badge": {"b": {"badge_id": "b"}},
    }

    assert referrers(Ref("badge", "b"), items) == [("rule", "on")]


def test_a_template_item_is_referred_to_by_its_id_and_channel():
    assert ref_of_item("template", "welcome#email#uk") == Ref("template", "welcome#email")
    assert ref_of_item("badge", "first") == Ref("badge", "first")
