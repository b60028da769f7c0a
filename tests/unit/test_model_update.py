"""The decision core's shortcuts around pydantic give pydantic's own answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shared.domain.basics.model_update import updated
from shared.domain.players.engagement import Engagement
from shared.domain.players.profile import Profile
from shared.domain.players.rg import RgStatus

T = datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_updated_builds_what_model_copy_with_update_builds():
    profile = Profile(player_id="p-1", country="DE", rounds_played=3)
    changes = {"rounds_played": 4, "last_round_at": T}

    mine, theirs = updated(profile, changes), profile.model_copy(update=changes)

    assert mine == theirs
    assert mine.model_fields_set == theirs.model_fields_set
    assert mine.model_dump() == theirs.model_dump()
    assert profile.rounds_played == 3  # the original is untouched
    assert mine.__dict__ is not profile.__dict__


def test_updated_leaves_unknown_names_to_pydantic():
    status = RgStatus()
    with_extra = updated(status, {"not_a_field": 1})
    assert with_extra == status.model_copy(update={"not_a_field": 1})


def test_updated_in_place_changes_the_model_itself_as_model_copy_would_have():
    profile = Profile(player_id="p-1", country="DE", rounds_played=3)
    changes = {"rounds_played": 4, "last_round_at": T}
    theirs = profile.model_copy(update=changes)

    mine = updated(profile, changes, in_place=True)

    assert mine is profile
    assert mine == theirs
    assert mine.model_fields_set == theirs.model_fields_set
    assert mine.model_dump() == theirs.model_dump()


def test_updated_in_place_assigns_an_unknown_name_by_pydantic_rules_which_refuse_it():
    import pytest

    with pytest.raises(ValueError, match="not_a_field"):
        updated(RgStatus(), {"not_a_field": 1}, in_place=True)


def test_an_event_rg_does_not_fold_leaves_the_very_status_it_was_given():
    from events.models import PlayerLoggedIn
    from shared.domain.players.rg import RgThresholds, observe

    status = RgStatus(limits={"deposit": "100 EUR per day"})
    login = PlayerLoggedIn(player_id="p-1", event_id="l-1", occurred_at=T)
    seen = observe(status, login, loss_streak_before=0, time_zone=None, thresholds=RgThresholds())
    assert seen.status is status
    assert seen.raised == ()


def test_an_rg_day_bucket_is_replaced_so_the_observed_status_keeps_its_own():
    from events.models import RoundFinished
    from shared.domain.players.rg import RgThresholds, observe

    before = RgStatus(daily_net={"2026-10-01": {"EUR": Decimal(5)}})
    round_ = RoundFinished(
        player_id="p-1",
        event_id="r-1",
        occurred_at=T,
        round_id="r-1",
        game_id="g",
        category="slots",
        stake=Decimal(2),
        payout=Decimal(0),
        currency="EUR",
    )
    after = observe(
        before, round_, loss_streak_before=0, time_zone=None, thresholds=RgThresholds()
    ).status

    assert after.daily_net == {"2026-10-01": {"EUR": Decimal(7)}}
    assert before.daily_net == {"2026-10-01": {"EUR": Decimal(5)}}


def test_active_days_read_in_any_order_are_ascending_and_rfm_counts_the_window():
    from shared.domain.players.engagement import EngagementPolicy, rfm

    stored = Engagement.model_validate(
        {"active_days": ["2026-10-01", "2026-09-01", "2026-10-01", "2026-09-25"]}
    )
    assert stored.active_days == ["2026-09-01", "2026-09-25", "2026-10-01"]

    policy = EngagementPolicy()
    counted = rfm(stored, T, "UTC", policy).frequency
    window = policy.window_days
    expected = sum(
        1 for d in stored.active_days if (T.date() - datetime.fromisoformat(d).date()).days < window
    )
    assert counted == expected
