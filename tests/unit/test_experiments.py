"""Assignment to the control group and to experiment arms: stable, sticky, by weight."""

import hashlib
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shared.domain.measurement.experiments import (
    BASE,
    HOLDOUT,
    Experiment,
    ExperimentSettings,
    assign,
    draw,
    unit_bucket,
)

players = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
weights = st.lists(st.integers(1, 100), min_size=1, max_size=4)
percent = st.decimals(0, 90, places=2)


def experiment(ws: list[int], holdout: Decimal = Decimal(0), eid: str = "e1") -> Experiment:
    return Experiment.model_validate(
        {
            "experiment_id": eid,
            "holdout_percent": holdout,
            "variants": [{"variant": f"v{i}", "weight": w} for i, w in enumerate(ws)],
        }
    )


def test_a_bucket_is_sha256_of_its_parts_so_it_is_the_same_on_every_machine():
    # Python's hash() differs per process; the first 8 bytes of sha256 never do.
    digest = hashlib.sha256(b"engage\x1fp-1").digest()
    assert unit_bucket("engage", "p-1") == Decimal(int.from_bytes(digest[:8], "big")) / 2**64
    assert unit_bucket("engage", "p-1") != unit_bucket("other", "p-1")


def test_the_control_group_holds_about_its_percentage_of_players():
    settings = ExperimentSettings(control_group_percent=Decimal(5))
    held = sum(settings.in_control_group(f"p-{i}") for i in range(20_000))
    assert 850 <= held <= 1150  # 5 % of 20 000 = 1000, well within 4.5 sigma


def test_no_control_group_is_configured_by_default():
    assert not ExperimentSettings().in_control_group("p-1")


@given(players, st.decimals(0, 49, places=2), st.decimals(0, 49, places=2))
def test_raising_the_control_group_percentage_never_releases_a_member(player, a, b):
    low, high = sorted((a, b))
    if ExperimentSettings(control_group_percent=low).in_control_group(player):
        assert ExperimentSettings(control_group_percent=high).in_control_group(player)


@given(players, weights, weights, percent, percent)
def test_an_assignment_never_flips_when_weights_or_holdout_are_edited(player, w1, w2, h1, h2):
    first = assign(experiment(w1, h1), "rule", player, None)
    # The edited experiment keeps the recorded variant if it still exists.
    edited = experiment(w2 + [1] * max(0, len(w1) - len(w2)), h2)
    again = assign(edited, "rule", player, first)
    assert again == first


@given(players, weights, percent)
def test_without_a_recorded_arm_the_draw_is_a_pure_function_of_the_ids(player, ws, holdout):
    exp = experiment(ws, holdout)
    assert draw(exp, "rule", player) == draw(exp, "rule", player)
    assert assign(exp, "rule", player, None).arm == draw(exp, "rule", player)


def test_a_new_experiment_id_draws_afresh_for_everyone():
    old = assign(experiment([1, 1]), "rule", "p-1", None)
    fresh = assign(experiment([1, 1], eid="e2"), "rule", "p-1", old)
    assert fresh.experiment == "e2"


def test_a_removed_variant_draws_again_among_the_ones_left():
    recorded = assign(experiment([1, 1]), "rule", "p-1", None).model_copy(update={"arm": "v9"})
    again = assign(experiment([1, 1]), "rule", "p-1", recorded)
    assert again.arm in {"v0", "v1"}


def test_arms_follow_the_weights_and_the_holdout_percentage():
    exp = experiment([3, 1], Decimal(20))
    arms = [draw(exp, "rule", f"p-{i}") for i in range(20_000)]
    assert 3700 <= arms.count(HOLDOUT) <= 4300  # 20 %
    assert 11_400 <= arms.count("v0") <= 12_600  # 75 % of the other 80 %
    assert 3700 <= arms.count("v1") <= 4300


def test_without_variants_the_players_not_held_out_get_the_rule_as_written():
    exp = Experiment.model_validate({"experiment_id": "e1", "holdout_percent": "10"})
    arms = {draw(exp, "rule", f"p-{i}") for i in range(200)}
    assert arms == {HOLDOUT, BASE}
