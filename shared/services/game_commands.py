"""Spin a wheel and buy from the reward store: the player API's commands.

Both go through the one commit path the engine uses: the command becomes an internal event
(`engage.wheel.spun` / `engage.store.purchased`) decided by the pure core, and ONE
transaction writes the new state (version-checked), the event's EVENT# marker, the ledger
line, the outbox (which also puts the event on the bus for the operator), the pool claims
(stock, budget; conditional) and the request's record (put-if-absent). Anything lost to a
concurrent writer (another spin, the engine, the last unit of stock) fails the whole
transaction; the command then reloads, re-draws among what is left and tries again.

The request id is the idempotency key: a retry finds the record and gets the same answer.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from events.models import EventDetail, RewardPurchased, WheelSpun
from shared.adapters.game_pools import (
    PURCHASE_PREFIX,
    SPIN_PREFIX,
    Claim,
    GamePools,
    PoolKey,
    Record,
    rule_budget_key,
    store_stock_key,
    wheel_budget_key,
    wheel_stock_key,
)
from shared.adapters.player_store import Commit, PlayerStore, player_pk
from shared.clock import Clock
from shared.domain.core.config import ConfigSnapshot
from shared.domain.core.state import PlayerState
from shared.domain.game.game_rewards import Refusal, purchase_refusal, spin_refusal
from shared.domain.game.reward_store import StoreItem
from shared.domain.game.wheels import Wheel, eligible, pick, total_weight
from shared.domain.run.decide import Decision, decide
from shared.errors import ConflictError
from shared.services.config_cache import ConfigCache
from shared.services.game_records import PurchaseRecord, SpinRecord

MAX_ATTEMPTS = 8
DEFAULT_DEDUPE = timedelta(days=400)


R = TypeVar("R")


class Rng(Protocol):
    def randrange(self, start: int, /) -> int: ...


class GameRefused(Exception):
    """The command cannot be done (answered 4xx); nothing was written."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GameBusy(Exception):
    """Lost every attempt to concurrent writers: retry later with the same request id."""


@dataclass(frozen=True)
class WheelSpins:
    wheel_id: str
    name: str
    count: int
    next_expiry: datetime | None


@dataclass(frozen=True)
class ItemOffer:
    item: StoreItem
    stock_left: int | None


@dataclass(frozen=True)
class Spun:
    record: SpinRecord
    replayed: bool


@dataclass(frozen=True)
class Bought:
    record: PurchaseRecord
    replayed: bool


def _refuse(refusal: Refusal) -> GameRefused:
    return GameRefused(refusal.code, refusal.reason)


class GameCommands:
    def __init__(
        self,
        players: PlayerStore,
        pools: GamePools,
        config: ConfigCache,
        clock: Clock,
        rng: Rng | None = None,
        dedupe_for: timedelta = DEFAULT_DEDUPE,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._players = players
        self._pools = pools
        self._config = config
        self._clock = clock
        # Server-side cryptographic RNG: the OS's CSPRNG, never a seeded PRNG.
        self._rng: Rng = rng or secrets.SystemRandom()
        self._dedupe_for = dedupe_for
        self._sleep = sleep
        self._max_attempts = max_attempts

    # --- reads --------------------------------------------------------------------------

    def spins(self, player_id: str) -> list[WheelSpins]:
        """Live spins by wheel (lapsed ones are not shown, whether or not yet dropped)."""
        state = self._players.state(player_id)
        if state is None:
            return []
        now = self._clock.now()
        wheels = self._config.current().game.wheels
        out = []
        for wheel_id in sorted(state.rewards.spins):
            live = state.rewards.live(wheel_id, now)
            if live:
                name = wheels[wheel_id].name if wheel_id in wheels else wheel_id
                out.append(WheelSpins(wheel_id, name, len(live), live[0].expires_at))
        return out

    def items(self) -> list[ItemOffer]:
        """Enabled store items with the stock left."""
        store = self._config.current().game.store
        limited = [store_stock_key(i) for i, item in store.items() if item.stock is not None]
        used = self._pools.usage(limited) if limited else {}
        return [
            ItemOffer(
                item,
                None
                if item.stock is None
                else max(0, item.stock - used.get(store_stock_key(item_id), 0)),
            )
            for item_id, item in sorted(store.items())
        ]

    # --- commands -----------------------------------------------------------------------

    def spin(self, player_id: str, wheel_id: str, request_id: str) -> Spun:
        """Use one spin of the wheel; the same request id always answers the same spin."""

        def recorded(raw: str) -> SpinRecord:
            record = SpinRecord.model_validate_json(raw)
            if record.wheel_id != wheel_id:
                raise GameRefused(
                    "request_reused", f"request_id was used for a spin of {record.wheel_id}"
                )
            return record

        record, replayed = self._once(
            player_id,
            SPIN_PREFIX + request_id,
            recorded,
            lambda: self._try_spin(player_id, wheel_id, request_id),
        )
        return Spun(record, replayed=replayed)

    def buy(self, player_id: str, item_id: str, request_id: str) -> Bought:
        """Buy one unit with points; the same request id always answers the same purchase."""

        def recorded(raw: str) -> PurchaseRecord:
            record = PurchaseRecord.model_validate_json(raw)
            if record.item_id != item_id:
                raise GameRefused(
                    "request_reused", f"request_id was used for a purchase of {record.item_id}"
                )
            return record

        record, replayed = self._once(
            player_id,
            PURCHASE_PREFIX + request_id,
            recorded,
            lambda: self._try_buy(player_id, item_id, request_id),
        )
        return Bought(record, replayed=replayed)

    def _once(
        self,
        player_id: str,
        record_key: str,
        recorded: Callable[[str], R],
        attempt: Callable[[], R],
    ) -> tuple[R, bool]:
        """The request's recorded answer if it was done, else one done now: (answer, replayed).

        A lost race (version or pool condition) reloads and tries again, jittered, bounded.
        """
        for n in range(1, self._max_attempts + 1):
            previous = self._pools.record(player_pk(player_id), record_key)
            if previous is not None:
                return recorded(previous), True
            try:
                return attempt(), False
            except ConflictError:
                self._backoff(n)
        raise GameBusy("too many concurrent changes; retry with the same request_id")

    def _backoff(self, attempt: int) -> None:
        # Jittered, so racing spins of one last prize stop colliding in lockstep.
        if attempt < self._max_attempts:
            self._sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - not crypto

    def _load(self, player_id: str, event_id: str) -> PlayerState:
        loaded = self._players.load(player_id, [event_id])
        if event_id in loaded.seen_event_ids:
            # Its record is written in the same transaction, so it exists unless it lapsed.
            raise GameRefused("request_reused", "request_id was already used")
        return loaded.state

    def _try_spin(self, player_id: str, wheel_id: str, request_id: str) -> SpinRecord:
        event_id = f"spin.{request_id}"
        state = self._load(player_id, event_id)
        config = self._config.current()
        now = self._clock.now()
        refusal = spin_refusal(state.rewards, state.rg, wheel_id, config.game, now)
        if refusal is not None:
            raise _refuse(refusal)
        wheel = config.game.wheels[wheel_id]
        keys, budget_key = self._wheel_pools(wheel, now)
        used = self._pools.usage(keys) if keys else {}
        stock_used = {
            p.prize_id: used[wheel_stock_key(wheel_id, p.prize_id)]
            for p in wheel.prizes
            if p.stock is not None
        }
        budget_used = used[budget_key] if budget_key else 0
        candidates = eligible(wheel, stock_used, budget_used)
        if not candidates:
            raise GameRefused("wheel_exhausted", f"every prize of {wheel_id} is gone for now")
        roll = self._rng.randrange(total_weight(candidates))
        prize = pick(candidates, roll)
        oldest = state.rewards.live(wheel_id, now)[0]
        event = WheelSpun(
            player_id=player_id,
            event_id=event_id,
            occurred_at=now,
            wheel_id=wheel_id,
            prize_id=prize.prize_id,
            spin_id=request_id,
        )
        decision = self._decide(state, event, config, now)
        after = decision.state.rewards
        if any(g.grant_id == oldest.grant_id for g in after.spins.get(wheel_id, [])):
            raise RuntimeError(f"spin {request_id} was not applied: {decision.trace}")
        claims = []
        if prize.stock is not None:
            claims.append(Claim(wheel_stock_key(wheel_id, prize.prize_id), 1, prize.stock))
        if budget_key and wheel.budget is not None and prize.cost > 0:
            claims.append(Claim(budget_key, prize.cost, wheel.budget.total))
        record = SpinRecord(
            spin_id=request_id,
            player_id=player_id,
            wheel_id=wheel_id,
            at=now,
            grant_id=oldest.grant_id,
            prize_id=prize.prize_id,
            label=prize.label,
            reward=prize.reward_kind,
            points=prize.points,
            badge=prize.badge,
            spins_wheel=prize.spins.wheel if prize.spins else None,
            spins_count=prize.spins.count if prize.spins else None,
            roll=roll,
            weights={p.prize_id: p.weight for p in candidates},
            stock_used_seen=stock_used,
            budget_period=budget_key[1].removeprefix("BUDGET#") if budget_key else None,
            budget_used_seen=budget_used if budget_key else None,
            cost=prize.cost,
            balance_after=decision.state.points_balance,
            spins_left=len(after.live(wheel_id, now)),
            config_version=config.version,
        )
        self._commit(state, decision, event_id, claims, SPIN_PREFIX + request_id, record, config)
        return record

    def _wheel_pools(self, wheel: Wheel, now: datetime) -> tuple[list[PoolKey], PoolKey | None]:
        keys = [
            wheel_stock_key(wheel.wheel_id, p.prize_id) for p in wheel.prizes if p.stock is not None
        ]
        budget_key = None
        if wheel.budget is not None:
            budget_key = wheel_budget_key(wheel.wheel_id, wheel.budget.period_key(now))
            keys.append(budget_key)
        return keys, budget_key

    def _try_buy(self, player_id: str, item_id: str, request_id: str) -> PurchaseRecord:
        event_id = f"purchase.{request_id}"
        state = self._load(player_id, event_id)
        config = self._config.current()
        now = self._clock.now()
        refusal = purchase_refusal(
            state.rewards, state.rg, state.points_balance, item_id, config.game, now
        )
        if refusal is not None:
            raise _refuse(refusal)
        item = config.game.store[item_id]
        stock_used = None
        claims = []
        if item.stock is not None:
            key = store_stock_key(item_id)
            stock_used = self._pools.usage([key])[key]
            if stock_used >= item.stock:
                raise GameRefused("sold_out", f"{item_id} is sold out")
            claims.append(Claim(key, 1, item.stock))
        event = RewardPurchased(
            player_id=player_id,
            event_id=event_id,
            occurred_at=now,
            item_id=item_id,
            price=item.price,
            purchase_id=request_id,
        )
        decision = self._decide(state, event, config, now)
        if not any(line.kind == "spend" for line in decision.ledger):
            raise RuntimeError(f"purchase {request_id} was not applied: {decision.trace}")
        record = PurchaseRecord(
            purchase_id=request_id,
            player_id=player_id,
            item_id=item_id,
            name=item.name,
            at=now,
            price=item.price,
            gives=item.gives,
            stock_used_seen=stock_used,
            balance_after=decision.state.points_balance,
            config_version=config.version,
        )
        self._commit(
            state, decision, event_id, claims, PURCHASE_PREFIX + request_id, record, config
        )
        return record

    def _decide(
        self, state: PlayerState, event: EventDetail, config: ConfigSnapshot, now: datetime
    ) -> Decision:
        """Decide, then again with the usage of the rule budgets the decision claims."""
        decision = decide(state, event, config, now)
        if not decision.claims:
            return decision
        keys = {c.key: rule_budget_key(c.rule_id, c.period) for c in decision.claims}
        read = self._pools.usage(list(keys.values()))
        return decide(state, event, config, now, {k: read.get(v, 0) for k, v in keys.items()})

    def _commit(
        self,
        state: PlayerState,
        decision: Decision,
        event_id: str,
        claims: list[Claim],
        record_sk: str,
        record: SpinRecord | PurchaseRecord,
        config: ConfigSnapshot,
    ) -> None:
        now = self._clock.now()
        retention = timedelta(days=config.rg_thresholds.audit_retention_days)
        self._players.commit(
            Commit(
                player_id=state.profile.player_id,
                state=decision.state,
                expected_version=state.version,
                event_ids=[event_id],
                ledger=decision.ledger,
                outbox=decision.outbox,
                audit=decision.audit,
                # Rules that fire on the spin or purchase may claim their campaign budgets.
                claims=[
                    *claims,
                    *(
                        Claim(rule_budget_key(c.rule_id, c.period), c.amount, c.limit)
                        for c in decision.claims
                    ),
                ],
                records=[Record(record_sk, record.model_dump_json(), now + retention)],
            ),
            now=now,
            dedupe_for=self._dedupe_for,
        )
