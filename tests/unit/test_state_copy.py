"""The working copy's per-class copy plans (shared/domain/core/state_copy.py): what a
decision may change is its own, what it cannot change is shared."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from shared.domain.core.state import PlayerState
from shared.domain.core.state_copy import fresh_model
from shared.domain.game.points import Earning, Lot

T = datetime(2026, 11, 1, 9, tzinfo=UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)
    n: int


class _Inner(BaseModel):
    values: list[int] = []


class _Outer(BaseModel):
    name: str = "x"
    when: datetime | None = None
    frozen: _Frozen = _Frozen(n=1)
    plain: dict[str, Decimal] = {}
    nested: dict[str, dict[str, int]] = {}
    models: dict[str, _Inner] = {}
    listed: list[_Inner] = []
    anything: dict[str, object] = {}


def test_containers_and_mutable_models_are_copied_leaves_and_frozen_models_shared():
    original = _Outer(
        when=T,
        plain={"a": Decimal(1)},
        nested={"d": {"EUR": 1}},
        models={"m": _Inner(values=[1])},
        listed=[_Inner(values=[2])],
        anything={"k": [1]},
    )
    copy = fresh_model(original)

    copy.plain["b"] = Decimal(2)
    copy.nested["d"]["EUR"] = 5
    copy.models["m"].values.append(9)
    copy.listed[0].values.append(9)
    copy.anything["k"].append(9)

    assert original.plain == {"a": Decimal(1)}
    assert original.nested == {"d": {"EUR": 1}}
    assert original.models["m"].values == [1]
    assert original.listed[0].values == [2]
    assert original.anything == {"k": [1]}
    assert copy.frozen is original.frozen
    assert copy.when is original.when


def test_a_working_copy_owns_the_wallets_lots_and_reversible_lists():
    state = PlayerState.new("p-1")
    state.wallet.lots = [Lot(expires_at=None, remaining=5)]
    state.wallet.reversible = {"deposit:d1": [Earning(entry_id="e", points=5, earned_at=T)]}
    copy = state.working_copy()

    copy.wallet.lots[0].remaining = 1
    copy.wallet.reversible["deposit:d1"].append(Earning(entry_id="f", points=1, earned_at=T))

    assert state.wallet.lots[0].remaining == 5
    assert len(state.wallet.reversible["deposit:d1"]) == 1
