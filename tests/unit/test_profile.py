"""Profile folding: counters, totals and streaks follow event time."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.players.profile import Profile, apply_event
from tests.builders import (
    PLAYER,
    at,
    consent,
    deposit,
    failed_deposit,
    logged_in,
    registered,
    round_,
)


def fold(*events):
    profile = Profile(player_id=PLAYER)
    for e in events:
        profile = apply_event(profile, e)
    return profile


def test_registration_copies_locale_time_zone_country_and_consents():
    p = fold(registered(at()))
    assert (p.locale, p.time_zone, p.country, p.consents.email) == ("en", "Europe/Kyiv", "UA", True)


def test_deposits_count_and_sum_exactly_per_currency():
    p = fold(
        deposit(at(hours=1), "0.1"),
        deposit(at(hours=2), "0.2"),
        deposit(at(hours=3), "5", currency="USD"),
    )
    assert p.deposit_count == 3
    assert p.deposit_totals == {"EUR": Decimal("0.3"), "USD": Decimal("5")}


def test_a_successful_deposit_ends_a_run_of_failed_ones():
    p = fold(failed_deposit(at(hours=1)), failed_deposit(at(hours=2)), deposit(at(hours=3)))
    assert (p.failed_deposit_count, p.failed_deposit_streak) == (2, 0)


def test_three_failed_deposits_in_a_row_make_a_streak_of_three():
    p = fold(*(failed_deposit(at(hours=h)) for h in (1, 2, 3)))
    assert p.failed_deposit_streak == 3


def test_loss_streak_counts_consecutive_losses_and_a_win_resets_it():
    p = fold(round_(at(minutes=1)), round_(at(minutes=2)), round_(at(minutes=3)))
    assert (p.loss_streak, p.win_streak) == (3, 0)
    p = apply_event(p, round_(at(minutes=4), stake="1", payout="5"))
    assert (p.loss_streak, p.win_streak, p.wins, p.losses) == (0, 1, 1, 3)


def test_a_push_neither_extends_nor_breaks_a_streak():
    p = fold(
        round_(at(minutes=1)), round_(at(minutes=2), stake="1", payout="1"), round_(at(minutes=3))
    )
    assert p.loss_streak == 2


def test_a_late_round_counts_in_totals_but_does_not_rewrite_the_streak():
    p = fold(round_(at(minutes=5), payout="3"), round_(at(minutes=1)))
    assert p.rounds_played == 2
    assert (p.win_streak, p.loss_streak) == (1, 0)
    assert p.last_round_at == at(minutes=5)


def test_favourite_category_is_the_most_played_with_alphabetical_tie_break():
    p = fold(round_(at(minutes=1), category="table"), round_(at(minutes=2), category="slots"))
    assert p.favourite_category == "slots"
    p = apply_event(p, round_(at(minutes=3), category="table"))
    assert p.favourite_category == "table"


def test_last_login_keeps_the_latest_time_even_if_events_arrive_out_of_order():
    p = fold(logged_in(at(hours=5)), logged_in(at(hours=1)))
    assert p.last_login_at == at(hours=5)
    assert p.login_count == 2


def test_consent_change_flips_only_that_channel():
    p = fold(registered(at()), consent(at(hours=1), granted=False))
    assert (p.consents.email, p.consents.sms) == (False, False)


def test_apply_event_does_not_mutate_its_input():
    before = Profile(player_id=PLAYER)
    apply_event(before, deposit(at()))
    assert before.deposit_count == 0


@given(st.lists(st.sampled_from(["slots", "table", "live", "sports", "crash"]), max_size=40))
@settings(max_examples=200, deadline=None)
def test_the_favourite_category_is_the_most_played_ties_to_the_first_name(categories):
    # apply_event updates the favourite from the one before (only the played count grows);
    # it must stay what a full count gives.
    profile = Profile(player_id=PLAYER)
    for i, category in enumerate(categories):
        profile = apply_event(profile, round_(at(minutes=i), category=category))
    counts = {c: categories.count(c) for c in set(categories)}
    expected = min(counts, key=lambda c: (-counts[c], c)) if counts else None
    assert profile.favourite_category == expected
    assert profile.category_rounds == counts
