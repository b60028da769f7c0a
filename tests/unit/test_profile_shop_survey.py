"""Profile folding of shop, survey and profile-update events, by event time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from events.models import (
    PlayerProfileUpdated,
    ShopCartAbandoned,
    ShopPurchase,
    SurveyAnswered,
)
from shared.domain.core.state import PlayerState
from shared.domain.language.patterns import compile_pattern
from shared.domain.players.profile import (
    MAX_DISLIKED_SUBJECTS,
    MAX_RATED_SUBJECTS,
    OpenCart,
    Profile,
    apply_event,
)
from shared.domain.run.decide import match_document
from tests.builders import PLAYER, at, consent, deposit, eid, logged_in, registered, round_

REWARD = "reward:free-spins-10"


def fold(*events: Any, profile: Profile | None = None) -> Profile:
    profile = profile or Profile(player_id=PLAYER)
    for e in events:
        profile = apply_event(profile, e)
    return profile


def purchase(when: datetime, amount: str = "9.99", currency: str = "EUR") -> ShopPurchase:
    return ShopPurchase(
        player_id=PLAYER,
        event_id=eid("ord"),
        occurred_at=when,
        order_id=eid("o"),
        amount=Decimal(amount),
        currency=currency,
        items=1,
    )


def cart(when: datetime, amount: str = "34.98", cart_id: str | None = None) -> ShopCartAbandoned:
    return ShopCartAbandoned(
        player_id=PLAYER,
        event_id=eid("cart"),
        occurred_at=when,
        cart_id=cart_id or eid("c"),
        amount=Decimal(amount),
        currency="EUR",
        items=3,
    )


def survey(
    when: datetime,
    answer: str | int = "up",
    *,
    survey_id: str = "reward-feedback",
    kind: str | None = None,
    subject: str | None = REWARD,
) -> SurveyAnswered:
    if kind is None:
        kind = "scale_1_5" if isinstance(answer, int) else "thumbs"
    return SurveyAnswered.model_validate(
        {
            "player_id": PLAYER,
            "event_id": eid("svy"),
            "occurred_at": when,
            "survey_id": survey_id,
            "kind": kind,
            "answer": answer,
            "subject": subject,
        }
    )


def matches(pattern: dict[str, Any], doc: dict[str, Any]) -> bool:
    return compile_pattern(pattern).matches(doc)


def updated(when: datetime, **fields: Any) -> PlayerProfileUpdated:
    return PlayerProfileUpdated.model_validate(
        {"player_id": PLAYER, "event_id": eid("prof"), "occurred_at": when, **fields}
    )


# --- purchases -----------------------------------------------------------------------------


def test_given_purchases_in_two_currencies_when_folded_then_count_and_sums_are_exact():
    p = fold(
        purchase(at(hours=1), "0.1"),
        purchase(at(hours=2), "0.2"),
        purchase(at(hours=3), "5", currency="USD"),
    )
    assert p.purchase_count == 3
    assert p.purchase_totals == {"EUR": Decimal("0.3"), "USD": Decimal("5")}
    assert (p.first_purchase_at, p.last_purchase_at) == (at(hours=1), at(hours=3))


def test_given_a_late_purchase_when_folded_then_it_counts_and_moves_first_but_not_last():
    p = fold(purchase(at(hours=5)), purchase(at(hours=1), "1"))
    assert p.purchase_count == 2
    assert p.purchase_totals == {"EUR": Decimal("10.99")}
    assert (p.first_purchase_at, p.last_purchase_at) == (at(hours=1), at(hours=5))


# --- carts ---------------------------------------------------------------------------------


def test_given_an_abandoned_cart_when_folded_then_it_is_the_open_cart():
    p = fold(cart(at(hours=1), "34.98", cart_id="cart-9b21"))
    assert p.carts_abandoned == 1
    assert p.last_cart_abandoned_at == at(hours=1)
    assert p.open_cart == OpenCart(
        cart_id="cart-9b21",
        amount=Decimal("34.98"),
        currency="EUR",
        items=3,
        abandoned_at=at(hours=1),
    )


def test_given_an_open_cart_when_a_later_purchase_comes_then_the_cart_is_closed():
    p = fold(cart(at(hours=1)), purchase(at(hours=2)))
    assert p.open_cart is None
    assert p.carts_abandoned == 1


def test_given_an_open_cart_when_a_late_purchase_from_before_it_comes_then_it_stays_open():
    p = fold(cart(at(hours=2)), purchase(at(hours=1)))
    assert p.open_cart is not None
    assert p.open_cart.abandoned_at == at(hours=2)


def test_given_a_purchase_when_a_late_cart_from_before_it_comes_then_no_cart_is_opened():
    p = fold(purchase(at(hours=2)), cart(at(hours=1)))
    assert p.open_cart is None
    assert (p.carts_abandoned, p.last_cart_abandoned_at) == (1, at(hours=1))


def test_given_two_carts_out_of_order_when_folded_then_the_later_one_stays_open():
    p = fold(cart(at(hours=3), cart_id="new"), cart(at(hours=1), cart_id="old"))
    assert p.open_cart is not None
    assert p.open_cart.cart_id == "new"
    assert (p.carts_abandoned, p.last_cart_abandoned_at) == (2, at(hours=3))


# --- surveys -------------------------------------------------------------------------------


def test_given_a_scale_answer_when_folded_then_it_is_kept_as_text_and_as_a_score():
    p = fold(survey(at(hours=1), 4, survey_id="session-rating", subject=None))
    answer = p.surveys["session-rating"]
    assert (answer.kind, answer.answer, answer.score, answer.subject) == ("scale_1_5", "4", 4, None)
    assert answer.answered_at == at(hours=1)
    assert p.last_survey == "session-rating"


def test_given_two_answers_to_one_survey_out_of_order_when_folded_then_the_later_one_wins():
    p = fold(survey(at(hours=5), "up"), survey(at(hours=1), "down"))
    assert p.surveys["reward-feedback"].answer == "up"
    assert p.surveys["reward-feedback"].answered_at == at(hours=5)


def test_given_a_late_answer_to_another_survey_when_folded_then_last_survey_does_not_move():
    p = fold(
        survey(at(hours=5), survey_id="reward-feedback"),
        survey(at(hours=1), survey_id="tutorial-useful", kind="yes_no", answer="yes"),
    )
    assert p.last_survey == "reward-feedback"
    assert set(p.surveys) == {"reward-feedback", "tutorial-useful"}


@pytest.mark.parametrize(
    ("answer", "kind"), [("down", "thumbs"), ("no", "yes_no"), (1, None), (2, None)]
)
def test_given_a_negative_rating_when_folded_then_the_subject_is_disliked(answer, kind):
    p = fold(survey(at(hours=1), answer, kind=kind))
    assert p.disliked_subjects == [REWARD]


@pytest.mark.parametrize(
    ("answer", "kind"), [("up", "thumbs"), ("yes", "yes_no"), (3, None), (5, None)]
)
def test_given_a_rating_that_is_not_negative_when_folded_then_nothing_is_disliked(answer, kind):
    p = fold(survey(at(hours=1), answer, kind=kind))
    assert p.disliked_subjects == []


def test_given_a_disliked_subject_when_it_is_rated_well_later_then_it_is_no_longer_disliked():
    p = fold(survey(at(hours=1), "down"), survey(at(hours=2), 4, survey_id="reward-stars"))
    assert p.disliked_subjects == []


def test_given_a_disliked_subject_when_a_late_good_rating_arrives_then_it_stays_disliked():
    p = fold(survey(at(hours=5), "down"), survey(at(hours=1), "up", survey_id="older-survey"))
    assert p.disliked_subjects == [REWARD]


def test_given_a_liked_subject_when_a_late_bad_rating_arrives_then_it_is_not_disliked():
    p = fold(survey(at(hours=5), "up"), survey(at(hours=1), "down", survey_id="older-survey"))
    assert p.disliked_subjects == []


def test_given_several_dislikes_when_folded_then_the_most_recent_is_last_whatever_the_order():
    p = fold(
        survey(at(hours=3), "down", subject="reward:c"),
        survey(at(hours=1), "down", subject="reward:a"),
        survey(at(hours=2), "down", subject="reward:b"),
    )
    assert p.disliked_subjects == ["reward:a", "reward:b", "reward:c"]


def test_given_more_dislikes_than_the_cap_when_folded_then_only_the_most_recent_are_kept():
    p = fold(*(survey(at(minutes=m), "down", subject=f"reward:r{m}") for m in range(25)))
    assert len(p.disliked_subjects) == MAX_DISLIKED_SUBJECTS
    assert p.disliked_subjects[0] == "reward:r5"
    assert p.disliked_subjects[-1] == "reward:r24"


def test_given_many_rated_subjects_when_folded_then_only_the_most_recent_ratings_are_kept():
    p = fold(*(survey(at(minutes=m), "up", subject=f"game:g{m}") for m in range(60)))
    assert len(p.subject_ratings) == MAX_RATED_SUBJECTS
    assert "game:g9" not in p.subject_ratings
    assert "game:g59" in p.subject_ratings


def test_given_a_survey_without_subject_when_folded_then_no_subject_is_rated():
    p = fold(survey(at(hours=1), "down", subject=None))
    assert (p.subject_ratings, p.disliked_subjects) == ({}, [])


def test_given_a_disliked_reward_when_a_rule_pattern_asks_for_it_then_the_array_matches():
    state = PlayerState(profile=fold(survey(at(hours=1), "down")))
    doc = match_document(logged_in(at(hours=2)), state)
    assert matches({"player": {"disliked_subjects": [REWARD]}}, doc)
    assert not matches({"player": {"disliked_subjects": ["reward:cashback-5"]}}, doc)


def test_given_a_low_scale_answer_when_a_rule_uses_numeric_matching_then_the_score_matches():
    state = PlayerState(profile=fold(survey(at(hours=1), 2, survey_id="session-rating")))
    doc = match_document(logged_in(at(hours=2)), state)
    low = {"player": {"surveys": {"session-rating": {"score": [{"numeric": ["<=", 2]}]}}}}
    assert matches(low, doc)


# --- profile updates -----------------------------------------------------------------------


def test_given_an_update_when_folded_then_given_fields_change_null_erases_and_absent_keeps():
    p = fold(
        registered(at(), phone="+447700900123", birth_date="1994-07-21"),
        updated(at(hours=1), email="new@example.org", phone=None),
    )
    assert (p.email, p.phone) == ("new@example.org", None)
    assert (p.first_name, p.birth_date, p.locale) == ("Anna", "1994-07-21", "en")
    assert p.profile_updated_at == at(hours=1)


def test_given_an_update_when_a_late_registration_arrives_then_updated_fields_are_not_reverted():
    p = fold(
        updated(at(hours=1), email="new@example.org", time_zone="Europe/Warsaw"),
        registered(at(), email="old@example.org"),
    )
    assert (p.email, p.time_zone) == ("new@example.org", "Europe/Warsaw")
    # Fields the update did not touch still come from the registration.
    assert (p.first_name, p.country, p.registered_at) == ("Anna", "UA", at())


def test_given_two_updates_out_of_order_when_folded_then_per_field_the_later_one_wins():
    p = fold(
        registered(at()),
        updated(at(hours=2), email="second@example.org"),
        updated(at(hours=1), email="first@example.org", first_name="Ann"),
    )
    assert (p.email, p.first_name) == ("second@example.org", "Ann")
    assert p.profile_updated_at == at(hours=2)


def test_given_a_late_erasure_when_a_newer_value_exists_then_the_value_is_kept():
    p = fold(updated(at(hours=2), phone="+447700900999"), updated(at(hours=1), phone=None))
    assert p.phone == "+447700900999"


# --- activity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda t: registered(t),
        lambda t: logged_in(t),
        lambda t: deposit(t),
        lambda t: round_(t),
        lambda t: purchase(t),
        lambda t: cart(t),
        lambda t: survey(t),
    ],
    ids=["registered", "login", "deposit", "round", "purchase", "cart", "survey"],
)
def test_given_a_player_action_when_folded_then_it_is_the_last_activity(make):
    assert fold(make(at(hours=3))).last_activity_at == at(hours=3)


def test_given_activity_out_of_order_when_folded_then_last_activity_is_the_latest():
    p = fold(purchase(at(hours=5)), logged_in(at(hours=1)), survey(at(hours=2)))
    assert p.last_activity_at == at(hours=5)


def test_given_only_consent_and_detail_changes_when_folded_then_there_is_no_activity():
    p = fold(consent(at(hours=1), granted=False), updated(at(hours=2), first_name="Ann"))
    assert p.last_activity_at is None


def test_given_times_in_other_offsets_when_folded_then_they_compare_as_instants():
    kyiv = timezone(timedelta(hours=2))
    p = fold(purchase(at(hours=1)), purchase((at(hours=1) - timedelta(minutes=1)).astimezone(kyiv)))
    assert p.last_purchase_at == at(hours=1)


def test_given_a_profile_with_new_fields_when_stored_as_json_then_it_reads_back_equal():
    p = fold(
        registered(at()),
        cart(at(hours=1)),
        purchase(at(hours=2), "19.99"),
        cart(at(hours=3)),
        survey(at(hours=4), "down"),
        updated(at(hours=5), phone=None),
    )
    assert Profile.model_validate_json(p.model_dump_json()) == p
