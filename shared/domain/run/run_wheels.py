"""Wheels and the reward store in a decision: grant spins, apply a spin, apply a purchase.

A spin or a purchase reaches the decision as an internal event (`engage.wheel.spun`,
`engage.store.purchased`) built by the player API service, which has already drawn the
prize (RNG stays outside the pure core) and will claim stock and budget in the same
transaction. Here the command is checked again with the same pure checks the service used
and applied: the oldest live spin is consumed, the prize paid through the same paths as
any rule (points -> ledger, expiry, tiers; badges once; spins gated as a bonus).

Spins granted by rules and prizes, spins used once, purchases paid with points.
"""

from __future__ import annotations

from events.models import RewardPurchased, WheelSpun
from shared.domain.authoring.rules import GrantSpins, GrantSpinsAction
from shared.domain.core.state import stable_id
from shared.domain.game.game_rewards import (
    APPLY_WINDOW,
    MAX_LIVE_SPINS,
    STORE_RULE,
    WHEEL_RULE,
    Refusal,
    SpinGrant,
    purchase_refusal,
    spin_refusal,
)
from shared.domain.game.points import InsufficientPoints
from shared.domain.run import run_badges, run_budgets, run_experiments, run_points, run_rg
from shared.domain.run.context import DecisionContext


def grant_spins(ctx: DecisionContext, rule_id: str, action: GrantSpinsAction, path: str) -> None:
    give_spins(ctx, rule_id, action.grant_spins, path)


def give_spins(ctx: DecisionContext, rule_id: str, spec: GrantSpins, path: str) -> None:
    """Add `spec.count` spins, each with an id derived from (event, rule, path, index)."""
    at = ctx.event.occurred_at
    rewards = ctx.state.rewards
    rewards.drop_lapsed(at)
    if spec.wheel not in ctx.config.game.wheels:
        ctx.trace(rule_id, f"spins of {spec.wheel}: no such enabled wheel, not granted")
        return
    label = f"{spec.count} spin(s) of {spec.wheel}"
    if not run_rg.offer_allowed(ctx, "bonus", rule_id, label, path):
        return
    if run_experiments.withheld(
        ctx, rule_id, f"grant_spins:{spec.wheel}:{spec.count}", path, reward=True
    ):
        return
    held = rewards.spins.setdefault(spec.wheel, [])
    room = MAX_LIVE_SPINS - len(held)
    count = min(spec.count, room)
    if count > 0 and not run_budgets.within_budget(ctx, rule_id, label, path, spins=count):
        count = 0
    for i in range(count):
        grant = SpinGrant(
            grant_id=stable_id(ctx.event.player_id, ctx.event.event_id, rule_id, path, str(i)),
            granted_at=at,
            expires_at=at + spec.expires_after,
            rule_id=rule_id,
        )
        held.append(grant)
        ctx.decision.spins_granted.append(grant)
    if not held:
        del rewards.spins[spec.wheel]
    if count > 0:
        ctx.audit(
            "bonus_granted",
            f"{label}: granted",
            rule_id,
            {"spins": str(count), "wheel": spec.wheel},
            key=path,
        )
    capped = ""
    if count < spec.count:
        capped = f" ({spec.count - count} over the cap of {MAX_LIVE_SPINS} not granted)"
    ctx.trace(rule_id, "+{} spin(s) of {}{}", count, spec.wheel, capped)


def apply_game_command(ctx: DecisionContext) -> None:
    """The decide() hook: a spin or a purchase made through the player API."""
    event = ctx.event
    if not isinstance(event, WheelSpun | RewardPurchased):
        return
    if ctx.now - event.occurred_at > APPLY_WINDOW:
        rule = WHEEL_RULE if isinstance(event, WheelSpun) else STORE_RULE
        ctx.trace(rule, f"{event.event_id}: an old copy, not applied again")
        return
    if isinstance(event, WheelSpun):
        _spin(ctx, event)
    else:
        _purchase(ctx, event)


def _refused(ctx: DecisionContext, rule_id: str, what: str, refusal: Refusal) -> None:
    if refusal.code == "responsible_gaming":
        ctx.suppress(rule_id, what, refusal.reason, f"{rule_id}.refused")
    else:
        ctx.trace(rule_id, f"{what} refused: {refusal.reason}")


def _spin(ctx: DecisionContext, event: WheelSpun) -> None:
    at = event.occurred_at
    rewards = ctx.state.rewards
    rewards.drop_lapsed(at)
    what = f"spin of {event.wheel_id}"
    refusal = spin_refusal(rewards, ctx.state.rg, event.wheel_id, ctx.config.game, at)
    wheel = ctx.config.game.wheels.get(event.wheel_id)
    prize = wheel.prize(event.prize_id) if wheel else None
    if refusal is None and prize is None:
        refusal = Refusal("unknown_wheel", f"no prize {event.prize_id!r} on {event.wheel_id}")
    if refusal is not None or prize is None:
        _refused(ctx, WHEEL_RULE, what, refusal or Refusal("unknown_wheel", "no prize"))
        return
    held = rewards.spins[event.wheel_id]
    used = held.pop(0)  # the oldest live one: spins lapse in grant order
    if not held:
        del rewards.spins[event.wheel_id]
    ctx.trace(WHEEL_RULE, f"{what}: spin {used.grant_id} used, landed on {prize.prize_id}")
    path = f"wheel.{event.wheel_id}.{prize.prize_id}"
    if prize.points is not None:
        run_points.credit(
            ctx, WHEEL_RULE, prize.points, path, f"wheel {event.wheel_id}: {prize.label}"
        )
    elif prize.badge is not None:
        run_badges.grant_badge(ctx, WHEEL_RULE, prize.badge, path)
    elif prize.spins is not None:
        give_spins(ctx, WHEEL_RULE, prize.spins, path)
    ctx.publish(f"wheel.{event.spin_id}", event)


def _purchase(ctx: DecisionContext, event: RewardPurchased) -> None:
    at = event.occurred_at
    rewards = ctx.state.rewards
    what = f"purchase of {event.item_id}"
    refusal = purchase_refusal(
        rewards, ctx.state.rg, ctx.state.points_balance, event.item_id, ctx.config.game, at
    )
    item = ctx.config.game.store.get(event.item_id)
    if refusal is None and item is not None and item.price != event.price:
        refusal = Refusal("price_changed", f"price is {item.price}, not {event.price}")
    if refusal is not None or item is None:
        _refused(ctx, STORE_RULE, what, refusal or Refusal("unknown_item", "no item"))
        return
    path = f"store.{event.item_id}"
    try:
        run_points.debit(
            ctx, STORE_RULE, path, item.price, f"bought {item.name}", f"store:{event.purchase_id}"
        )
    except InsufficientPoints as exc:  # the balance check above makes this unreachable
        _refused(ctx, STORE_RULE, what, Refusal("insufficient_points", str(exc)))
        return
    rewards.bought[item.item_id] = rewards.bought.get(item.item_id, 0) + 1
    ctx.trace(STORE_RULE, f"{what}: -{item.price} points (balance {ctx.state.points_balance})")
    if item.badge is not None:
        run_badges.grant_badge(ctx, STORE_RULE, item.badge, path)
    elif item.spins is not None:
        give_spins(ctx, STORE_RULE, item.spins, path)
    ctx.publish(f"store.{event.purchase_id}", event)
