"""DynamoDB capacity units per event for the demo story (engine + dispatch).

Run: python benchmarks/demo_capacity.py
Reads are what DynamoDB (here: moto) returns in ReturnConsumedCapacity. moto returns no
capacity for TransactWriteItems, so transactional writes are costed from the exact items
written with DynamoDB's rule (2 WCU per started KB per item); `CapacityMeter` does both.
"""

from __future__ import annotations

from shared.local.demo import run_demo

# DynamoDB on-demand list price in us-east-1 since the November 2024 price cut (USD).
PRICE_PER_MILLION_WRU = 0.625
PRICE_PER_MILLION_RRU = 0.125


def main() -> None:
    result = run_demo(out=lambda _: None)
    try:
        rec, meter = result.recorder, result.embedded.runtime.meter
        applied = {t.event_id for _, d in rec.decisions for t in d.trace}
        deliveries = len(applied) + len(rec.duplicate_ids) + len(rec.refusals)
        print(
            f"Demo story: {deliveries} event deliveries ({len(applied)} applied, "
            f"{len(rec.duplicate_ids)} duplicate, {len(rec.refusals)} refused), "
            f"{len(rec.performed_results)} effects dispatched\n"
        )
        print(f"{'operation':18} {'RCU':>8} {'WCU':>8}")
        ops = sorted(set(meter.read_units) | set(meter.write_units))
        for op in ops:
            print(f"{op:18} {meter.read_units.get(op, 0):8.1f} {meter.write_units.get(op, 0):8.1f}")
        print(f"{'total':18} {meter.total_read:8.1f} {meter.total_write:8.1f}")
        r, w = meter.total_read / deliveries, meter.total_write / deliveries
        print(f"\nper event delivery: {r:.2f} RCU, {w:.2f} WCU")
        cost = r * PRICE_PER_MILLION_RRU + w * PRICE_PER_MILLION_WRU
        print(f"≈ ${cost:.2f} per million events at on-demand list prices (us-east-1)")
    finally:
        result.embedded.stop()


if __name__ == "__main__":
    main()
