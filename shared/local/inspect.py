"""Readable description of one player: profile, points ledger, timers, messages."""

from __future__ import annotations

from shared.domain.core.state import PlayerState
from shared.local.runtime import LocalRuntime

# Contact details are masked even on a developer's screen: screenshots travel.
_MASKED = {"email", "phone", "devices"}


def describe_player(runtime: LocalRuntime, player_id: str) -> list[str]:
    state = runtime.players.state(player_id)
    if state is None:
        return [f"Player {player_id}: unknown (no events applied)"]
    lines = [f"Player {player_id} (state version {state.version})"]
    if state.merged_into is not None:
        lines.append(f"  merged into {state.merged_into}: its events are applied there")
    if state.merged_from:
        lines.append(f"  merged from: {', '.join(state.merged_from)}")
    profile = state.profile.model_dump(exclude={"player_id"}, exclude_defaults=True)
    for key, value in profile.items():
        shown = "***" if key in _MASKED and value else value
        lines.append(f"  {key}: {shown}")
    ledger = runtime.players.ledger(player_id)
    total = sum(e.points for e in ledger)
    lines.append(
        f"  points balance: {state.points_balance} (ledger sum {total}, {len(ledger)} lines)"
    )
    for entry in ledger:
        lines.append(
            f"    {entry.occurred_at:%Y-%m-%d %H:%M} {entry.kind} {entry.points:+d} "
            f"{entry.reason} [{entry.rule_id}]"
        )
    wallet = state.wallet
    if wallet.owed or wallet.lots:
        lots = ", ".join(
            f"{lot.remaining} until {lot.expires_at:%Y-%m-%d}"
            if lot.expires_at
            else f"{lot.remaining} never lapse"
            for lot in wallet.lots
        )
        lines.append(f"  lots: {lots or '-'}; owed: {wallet.owed}")
    if state.tier.tier or state.badges:
        badges = ", ".join(sorted(state.badges)) or "-"
        lines.append(f"  tier: {state.tier.tier or '-'}; badges: {badges}")
    if state.hold.events:
        # The reorder window: these are accepted but wait until W old to be decided.
        wake = f"{state.hold.wake_at:%Y-%m-%d %H:%M:%S} UTC" if state.hold.wake_at else "-"
        lines.append(f"  held (reorder window): {len(state.hold.events)}; wake-up at {wake}")
        for held in state.hold.events:
            lines.append(f"    {held.occurred_at:%Y-%m-%d %H:%M:%S} {held.detail_type}")
    lines.append(f"  pending timers: {len(state.timers)}")
    schedules = {name for _, name, _ in runtime.pending_schedules()}
    for name, timer in sorted(state.timers.items()):
        armed = "scheduled" if timer.schedule_name in schedules else "schedule not yet created"
        lines.append(
            f"    {name} due {timer.due_at:%Y-%m-%d %H:%M} UTC (rule {timer.rule_id}, {armed})"
        )
    e = state.engagement
    lines.append(
        f"  lifecycle stage: {e.stage or '-'}; segments: {', '.join(sorted(state.segments)) or '-'}"
    )
    if e.rfm is not None:
        lines.append(
            f"  RFM: R{e.rfm.r} F{e.rfm.f} M{e.rfm.m} = {e.rfm.score} "
            f"(churn risk {e.rfm.churn_risk})"
        )
    inbox = runtime.players.inbox(player_id)
    lines.append(f"  inbox: {len(inbox)}")
    for message in inbox:
        lines.append(
            f"    {message.delivered_at:%Y-%m-%d %H:%M} [{message.category}] {message.subject}"
        )
    lines += describe_rg(state)
    outbox = runtime.players.outbox(player_id)
    lines.append(f"  outbox / message log: {len(outbox)}")
    for item, status, result in sorted(outbox, key=lambda o: o[0].created_at):
        # The outbox id is what `engage ses-feedback` needs to play SES feedback on a message.
        lines.append(
            f"    {item.created_at:%Y-%m-%d %H:%M} {item.effect.kind} [{status}] {result}"
            f" (outbox {item.outbox_id})"
        )
    return lines


def describe_duplicates(runtime: LocalRuntime) -> list[str]:
    """Players who gave an email or phone another player registered first (hashed keys)."""
    found = runtime.players.duplicates()
    lines = [f"Duplicate contacts: {len(found)}"]
    for d in found:
        lines.append(
            f"  {d.at:%Y-%m-%d %H:%M} {d.player_id} shares its {d.channel} with "
            f"{d.first_player_id} (first) [contact {d.key[:12]}…]"
        )
    return lines


def describe_rg(state: PlayerState) -> list[str]:
    rg = state.rg
    lines = ["  responsible gaming:"]
    if not (rg.exclusions or rg.flags or rg.limits):
        return [*lines, "    nothing recorded"]
    for e in rg.exclusions:
        until = e.until.isoformat() if e.until else "indefinitely"
        lines.append(f"    {e.kind} since {e.since:%Y-%m-%d %H:%M} until {until} ({e.event_id})")
    for kind, limit in sorted(rg.limits.items()):
        lines.append(f"    {kind} limit: {limit}")
    for flag in rg.flags.values():
        lines.append(
            f"    flag {flag.name}: {flag.reason} (raised {flag.raised_at:%Y-%m-%d %H:%M}, "
            f"stands until {flag.stands_until:%Y-%m-%d %H:%M})"
        )
    return lines


def describe_audit(runtime: LocalRuntime, player_id: str) -> list[str]:
    """The player's audit trail: suppressions, flags, exclusions, refused RG events."""
    entries = sorted(runtime.players.audit(player_id), key=lambda a: (a.occurred_at, a.audit_id))
    lines = [f"Audit trail for {player_id}: {len(entries)} entries"]
    for a in entries:
        rule = f" rule {a.rule_id}" if a.rule_id else ""
        inputs = ", ".join(f"{k}={v}" for k, v in sorted(a.inputs.items()))
        lines.append(
            f"  {a.occurred_at:%Y-%m-%d %H:%M} [{a.stage}] {a.category}{rule}: {a.reason}"
            + (f" ({inputs})" if inputs else "")
        )
    return lines
