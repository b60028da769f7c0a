"""Event contract v1: samples, generated JSON Schemas and the money and time rules."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from referencing import Registry, Resource

from events.generate_schemas import (
    ENVELOPE_DEF,
    SCHEMA_DIR,
    build_schema,
    main,
    render_schemas,
    schema_id,
    stale_schemas,
    write_schemas,
)
from events.models import (
    CONTRACT_MODELS,
    INTERNAL_DETAIL_SOURCES,
    Consents,
    ContractError,
    DepositSucceeded,
    PlayerLoggedIn,
    PlayerProfileUpdated,
    PlayerRegistered,
    RoundFinished,
    SurveyAnswered,
    parse_contract_json,
    parse_event_json,
)

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples"
VALID = sorted((SAMPLES / "valid").glob("*.json"))
INVALID = sorted((SAMPLES / "invalid").glob("*.json"))

# Invalid samples whose mistake a JSON Schema can express too, so the published schemas must
# refuse them as well (time zones, email syntax and decimal places are checked by code only).
SCHEMA_EXPRESSIBLE = [
    "naive-occurred-at",
    "missing-player-id",
    "player-id-is-a-phone-number",
    "negative-stake",
    "zero-deposit",
    "locale-with-underscore",
    "unknown-consent-channel",
    "extra-field",
    "computed-outcome-sent",
    "bad-currency",
    "lower-case-currency",
    "detail-as-json-string",
    "survey-scale-answer-out-of-range",
    "survey-scale-answer-as-string",
    "survey-thumbs-answer-not-up-or-down",
    "profile-update-with-nothing-in-it",
    "profile-update-erases-time-zone",
    "purchase-with-zero-items",
    "cart-items-as-string",
    "device-on-unknown-platform",
    "device-token-empty",
    "product-link-not-https",
    "price-drop-fanout-from-operator",
]
_LOCATION = re.compile(r"^(body|envelope|detail-type|source|detail): ")


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _to_json(value: Any) -> str:
    """JSON text with Decimals written as the exact numbers they hold (json cannot)."""

    def mark(item: Any) -> Any:
        if isinstance(item, Decimal):
            return f"\0decimal:{item}\0"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    return re.sub(r'"\\u0000decimal:([^\\]*)\\u0000"', r"\1", json.dumps(mark(value)))


def _validator(detail_type: str, *, envelope: bool = False) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{detail_type}.json").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema)
    )
    target = {"$ref": f"{schema['$id']}#/$defs/{ENVELOPE_DEF}"} if envelope else schema
    return Draft202012Validator(target, registry=registry, format_checker=FormatChecker())


def _sample_text(detail_type: str) -> str:
    return (SAMPLES / "valid" / f"{detail_type}.json").read_text(encoding="utf-8")


def _with_detail(detail_type: str, **changes: Any) -> str:
    envelope = _load(SAMPLES / "valid" / f"{detail_type}.json")
    envelope["detail"].update(changes)
    return _to_json(envelope)


# --- samples -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_every_valid_sample_parses_into_the_model_of_its_detail_type(path):
    detail = parse_contract_json(path.read_text(encoding="utf-8"))
    assert type(detail) is CONTRACT_MODELS[path.stem]
    assert _load(path)["detail-type"] == path.stem


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_every_valid_sample_is_a_put_events_style_envelope_with_a_realistic_source(path):
    envelope = _load(path)
    assert set(envelope) == {"source", "detail-type", "detail"}
    expected_source = INTERNAL_DETAIL_SOURCES.get(path.stem, "casino.example")
    assert envelope["source"] == expected_source


def test_each_detail_type_has_exactly_one_valid_sample_and_one_schema():
    assert _ids(VALID) == sorted(CONTRACT_MODELS)
    assert sorted(path.stem for path in SCHEMA_DIR.glob("*.json")) == sorted(CONTRACT_MODELS)


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_every_invalid_sample_is_refused_with_its_expected_reason(path):
    sample = _load(path)
    with pytest.raises(ContractError) as caught:
        parse_contract_json(_to_json(sample["event"]))
    assert sample["expect_error"] in caught.value.reason


@pytest.mark.parametrize("path", INVALID, ids=_ids(INVALID))
def test_every_invalid_samples_expected_reason_names_where_the_problem_is(path):
    sample = _load(path)
    location = _LOCATION.match(sample["expect_error"])
    assert location, (
        "expect_error must start with body:, envelope:, detail-type:, source: or detail:"
    )
    if location.group(1) == "detail":
        field = sample["expect_error"].removeprefix("detail: ").split(":", 1)[0].split(".")[0]
        model = CONTRACT_MODELS[sample["event"]["detail-type"]]
        if field == "(root)":
            # A rule over the whole detail ("give at least one field") names the fields instead.
            assert any(name in sample["expect_error"] for name in model.model_fields)
        else:
            assert field in model.model_fields or field in sample["event"]["detail"]


SALVAGED = sorted((SAMPLES / "salvaged").glob("*.json"))


@pytest.mark.parametrize("path", SALVAGED, ids=_ids(SALVAGED))
def test_every_salvaged_sample_keeps_the_player_and_drops_only_the_bad_field(path):
    sample = _load(path)
    event = parse_event_json(_to_json(sample["event"]))
    dropped = event.dropped_fields
    assert set(dropped) == set(sample["expect_dropped"])
    for name, reason in sample["expect_dropped"].items():
        assert reason in dropped[name]
        assert getattr(event, name, None) in (None, Consents(), {})
    assert event.player_id == sample["event"]["detail"]["player_id"]


def test_given_a_salvaged_registration_when_dumped_then_the_dropped_reasons_are_not_in_it():
    sample = _load(SAMPLES / "salvaged" / "bad-email.json")
    event = parse_event_json(_to_json(sample["event"]))
    assert "dropped" not in json.dumps(event.model_dump(mode="json"))
    assert event.email is None
    assert event.first_name == "Olena"


def test_given_a_registration_with_a_bad_email_and_a_bad_time_zone_then_it_is_refused_whole():
    detail = {**_load(SAMPLES / "salvaged" / "bad-email.json")["event"]["detail"]}
    detail["time_zone"] = "Mars/Olympus"
    envelope = {"source": "casino.example", "detail-type": "player.registered", "detail": detail}
    with pytest.raises(ContractError) as caught:
        parse_event_json(_to_json(envelope))
    assert "time_zone" in caught.value.reason
    assert "email" in caught.value.reason


def test_given_a_first_name_with_spaces_around_it_then_it_is_kept_trimmed():
    detail = {
        **_load(SAMPLES / "valid" / "player.registered.json")["detail"],
        "first_name": " Ann ",
    }
    envelope = {"source": "casino.example", "detail-type": "player.registered", "detail": detail}
    event = parse_event_json(_to_json(envelope))
    assert isinstance(event, PlayerRegistered)
    assert event.first_name == "Ann"
    assert event.dropped_fields == {}


def test_given_a_profile_update_whose_only_field_is_bad_then_it_is_refused():
    envelope = {
        "source": "casino.example",
        "detail-type": "player.profile_updated",
        "detail": {
            "player_id": "p-1",
            "event_id": "u-1",
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "email": "nope",
        },
    }
    with pytest.raises(ContractError, match="email"):
        parse_event_json(_to_json(envelope))


def test_given_a_player_merged_into_itself_then_it_is_refused():
    envelope = {
        "source": "casino.example",
        "detail-type": "player.merged",
        "detail": {
            "player_id": "p-1",
            "event_id": "m-1",
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "merged_player_id": "p-1",
        },
    }
    with pytest.raises(ContractError, match="cannot be merged into itself"):
        parse_event_json(_to_json(envelope))


def test_invalid_samples_cover_each_kind_of_mistake_the_brief_lists():
    names = set(_ids(INVALID))
    assert {
        "naive-occurred-at",
        "unknown-detail-type",
        "missing-player-id",
        "negative-stake",
        "float-artefact-money",
        "unknown-time-zone",
        "extra-field",
        "bad-currency",
        "timer-from-operator-source",
        "non-object-body",
    } <= names


# --- money and time ------------------------------------------------------------------------


def test_given_deposits_of_0_1_and_0_2_when_parsed_then_they_add_up_to_exactly_0_3():
    first = parse_event_json(_with_detail("wallet.deposit_succeeded", amount=Decimal("0.1")))
    second = parse_event_json(_with_detail("wallet.deposit_succeeded", amount=Decimal("0.2")))
    assert isinstance(first, DepositSucceeded)
    assert isinstance(second, DepositSucceeded)
    assert first.amount + second.amount == Decimal("0.3")


def test_given_json_text_with_a_decimal_amount_when_parsed_then_it_is_a_decimal_not_a_float():
    detail = parse_event_json(_sample_text("wallet.deposit_succeeded"))
    assert isinstance(detail, DepositSucceeded)
    assert type(detail.amount) is Decimal
    assert detail.amount == Decimal("25.50")


def test_given_a_round_when_parsed_then_the_derived_outcome_and_multiplier_are_exact():
    detail = parse_event_json(_sample_text("game.round_finished"))
    assert isinstance(detail, RoundFinished)
    assert detail.outcome == "win"
    assert detail.win_multiplier == Decimal("3.0000")


def test_given_an_occurred_at_without_offset_when_parsed_then_it_is_refused():
    text = _with_detail("player.logged_in", occurred_at="2025-03-15T20:04:11")
    with pytest.raises(ContractError, match=r"detail: occurred_at: .*timezone"):
        parse_event_json(text)


def test_given_an_occurred_at_with_an_offset_when_parsed_then_the_offset_is_kept():
    detail = parse_event_json(_sample_text("player.logged_in"))
    assert detail.occurred_at.isoformat() == "2025-03-15T20:04:11+02:00"


def test_given_text_that_is_not_json_when_parsed_then_the_body_is_refused():
    with pytest.raises(ContractError, match=r"^body: not JSON"):
        parse_event_json('{"source": "casino.example",')


def test_given_an_event_as_eventbridge_delivers_it_when_parsed_then_the_aws_fields_are_ignored():
    envelope = _load(SAMPLES / "valid" / "player.logged_in.json")
    envelope.update(
        version="0",
        id="6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        account="111122223333",
        time="2025-03-15T18:04:12Z",
        region="eu-central-1",
        resources=[],
    )
    assert isinstance(parse_event_json(_to_json(envelope)), PlayerLoggedIn)


# --- surveys and profile updates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer", "negative"),
    [
        ("thumbs", "up", False),
        ("thumbs", "down", True),
        ("yes_no", "yes", False),
        ("yes_no", "no", True),
        ("scale_1_5", 1, True),
        ("scale_1_5", 2, True),
        ("scale_1_5", 3, False),
        ("scale_1_5", 5, False),
    ],
)
def test_given_an_answer_that_fits_its_kind_when_parsed_then_it_is_accepted_and_judged(
    kind, answer, negative
):
    detail = parse_event_json(_with_detail("survey.answered", kind=kind, answer=answer))
    assert isinstance(detail, SurveyAnswered)
    assert (detail.answer, detail.is_negative) == (answer, negative)
    assert _validator("survey.answered").is_valid(detail.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("kind", "answer"),
    [("thumbs", "yes"), ("yes_no", "up"), ("scale_1_5", 0), ("scale_1_5", True), ("thumbs", 1)],
)
def test_given_an_answer_of_another_kind_when_parsed_then_model_and_schema_refuse_it(kind, answer):
    text = _with_detail("survey.answered", kind=kind, answer=answer)
    with pytest.raises(ContractError, match=r"^detail: answer"):
        parse_event_json(text)
    assert not _validator("survey.answered", envelope=True).is_valid(json.loads(text))


def test_given_a_subject_in_upper_case_when_parsed_then_it_is_refused_so_rules_never_miss():
    with pytest.raises(ContractError, match=r"^detail: subject: "):
        parse_event_json(_with_detail("survey.answered", subject="Reward:Free-Spins-10"))


def test_given_a_profile_update_when_dumped_and_read_back_then_null_still_erases_and_absent_keeps():
    detail = parse_event_json(_sample_text("player.profile_updated"))
    assert isinstance(detail, PlayerProfileUpdated)
    dumped = detail.model_dump(mode="json")
    assert dumped["phone"] is None
    assert "first_name" not in dumped
    again = PlayerProfileUpdated.model_validate(dumped)
    assert again.updates() == detail.updates()
    assert again.updates() == {
        "email": "olena.kovalenko@example.com",
        "time_zone": "Europe/Warsaw",
        "phone": None,
    }


@pytest.mark.parametrize("field", ["first_name", "email", "phone", "birth_date"])
def test_given_a_personal_detail_sent_as_null_when_parsed_then_it_is_an_erasure(field):
    detail = parse_event_json(_to_json(_profile_update(**{field: None})))
    assert isinstance(detail, PlayerProfileUpdated)
    assert detail.updates() == {field: None}


@pytest.mark.parametrize("field", ["locale", "time_zone", "country"])
def test_given_a_field_registration_requires_sent_as_null_when_parsed_then_it_is_refused(field):
    with pytest.raises(ContractError, match=rf"^detail: {field}: .*cannot be erased"):
        parse_event_json(_to_json(_profile_update(**{field: None})))
    assert not _validator("player.profile_updated").is_valid(
        _profile_update(**{field: None})["detail"]
    )


def _profile_update(**fields: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = _load(SAMPLES / "valid" / "player.profile_updated.json")
    common = ("player_id", "event_id", "occurred_at")
    envelope["detail"] = {k: envelope["detail"][k] for k in common} | fields
    return envelope


# --- generated schemas ---------------------------------------------------------------------


def test_checked_in_schemas_match_the_models():
    assert stale_schemas() == [], "run: python -m events.generate_schemas"


def test_generated_schema_text_is_deterministic_sorted_and_ends_with_a_newline():
    first, second = render_schemas(), render_schemas()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        assert (
            text
            == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


@pytest.mark.parametrize("detail_type", sorted(CONTRACT_MODELS))
def test_each_schema_declares_its_dialect_id_and_title(detail_type):
    schema = build_schema(detail_type)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_id(detail_type)
    assert schema["title"] == CONTRACT_MODELS[detail_type].__name__
    Draft202012Validator.check_schema(schema)


def test_given_a_stale_missing_and_orphan_schema_when_checked_then_exit_1_names_each_file(
    tmp_path, capsys
):
    shutil.copytree(SCHEMA_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "player.logged_in.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "wallet.deposit_failed.json").unlink()
    (tmp_path / "wallet.bonus_granted.json").write_text("{}\n", encoding="utf-8")

    assert main(["--check", "--dir", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert "player.logged_in.json: out of date" in err
    assert "wallet.deposit_failed.json: missing" in err
    assert "wallet.bonus_granted.json: no such detail-type" in err
    assert "game.round_finished.json" not in err


def test_given_schemas_written_by_the_generator_when_checked_then_exit_0(tmp_path):
    (tmp_path / "obsolete.json").write_text("{}\n", encoding="utf-8")
    assert main(["--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "obsolete.json").exists()
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert write_schemas(tmp_path) == []


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_every_valid_samples_detail_validates_against_its_generated_json_schema(path):
    envelope = _load(path)
    errors = [error.message for error in _validator(path.stem).iter_errors(envelope["detail"])]
    assert errors == []


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_every_valid_sample_validates_against_its_generated_envelope_schema(path):
    errors = [e.message for e in _validator(path.stem, envelope=True).iter_errors(_load(path))]
    assert errors == []


@pytest.mark.parametrize("name", SCHEMA_EXPRESSIBLE)
def test_an_invalid_sample_whose_mistake_a_schema_can_express_is_refused_by_the_schema(name):
    if name == "naive-occurred-at" and "date-time" not in FormatChecker().checkers:
        pytest.skip("jsonschema checks date-time only with rfc3339-validator installed")
    event = _load(SAMPLES / "invalid" / f"{name}.json")["event"]
    detail_type = event["detail-type"]
    assert not _validator(detail_type, envelope=True).is_valid(event)


@pytest.mark.parametrize("name", ["phone-not-e164", "misspelt-consent-channel"])
def test_a_salvaged_sample_is_still_refused_by_the_published_schema(name):
    # The schema is the contract operators should meet; the engine's salvage is a safety net.
    event = _load(SAMPLES / "salvaged" / f"{name}.json")["event"]
    assert not _validator(event["detail-type"], envelope=True).is_valid(event)


def test_an_operator_envelope_schema_refuses_a_platform_source():
    event = _load(SAMPLES / "invalid" / "deposit-from-platform-source.json")["event"]
    assert not _validator("wallet.deposit_succeeded", envelope=True).is_valid(event)


def test_the_consent_envelope_schema_allows_the_unsubscribe_route_and_operators():
    sample = _load(SAMPLES / "valid" / "player.consent_changed.json")
    validator = _validator("player.consent_changed", envelope=True)
    assert validator.is_valid({**sample, "source": "engage.unsubscribe"})
    assert not validator.is_valid({**sample, "source": "engage.ses"})


def test_the_timer_envelope_schema_only_allows_the_internal_source():
    event = _load(SAMPLES / "invalid" / "timer-from-operator-source.json")["event"]
    assert not _validator("engage.timer.fired", envelope=True).is_valid(event)


def test_computed_fields_are_serialized_but_are_not_part_of_the_validation_schema():
    detail = parse_event_json(_sample_text("game.round_finished"))
    dumped = detail.model_dump(mode="json")
    assert {"outcome", "win_multiplier"} <= set(dumped)
    assert not {"outcome", "win_multiplier"} & set(
        build_schema("game.round_finished")["properties"]
    )


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_a_parsed_detail_dumped_without_computed_fields_validates_against_its_schema(path):
    detail = parse_contract_json(path.read_text(encoding="utf-8"))
    dumped = detail.model_dump(mode="json", exclude=set(type(detail).model_computed_fields))
    assert _validator(path.stem).is_valid(dumped)
    assert type(detail).model_validate(dumped) == detail


def test_money_in_the_schema_accepts_a_json_number_or_a_decimal_string():
    amount = build_schema("wallet.deposit_succeeded")["properties"]["amount"]
    assert {branch["type"] for branch in amount["anyOf"]} == {"number", "string"}
