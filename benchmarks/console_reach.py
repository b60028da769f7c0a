"""Reach estimate: how fast the console counts players for a segment, on moto and in pure code.

Run: python benchmarks/console_reach.py [--players 5000]
Seeds N player states (a third of them depositors, half in GB) straight into a moto player table,
then times the API's path (bounded Scan + judging each state on the engine's condition
document) and the pure judging alone. Moto's Scan says nothing about DynamoDB's speed;
the pure figure is what the console Lambda spends per player on top of the reads.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from shared.adapters.player_store import PlayerStore, player_pk
from shared.clock import FixedClock
from shared.console.reach import estimate
from shared.console.services import ReachEstimates
from shared.domain.core.state import PlayerState

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SEGMENT = {"player": {"deposit_count": [{"numeric": [">=", 1]}], "country": ["GB"]}}


def seed(client: Any, table: str, players: int) -> None:
    for start in range(0, players, 25):
        requests = []
        for i in range(start, min(start + 25, players)):
            state = PlayerState.new(f"p-{i}")
            state.profile.country = "GB" if i % 2 else "UA"
            state.profile.deposit_count = 1 if i % 3 == 0 else 0
            requests.append(
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": player_pk(f"p-{i}")},
                            "sk": {"S": "STATE"},
                            "version": {"N": "1"},
                            "state": {"S": state.model_dump_json(exclude_defaults=True)},
                        }
                    }
                }
            )
        client.batch_write_item(RequestItems={table: requests})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=5000)
    args = parser.parse_args()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="eu-west-1")
        ddb.create_table(
            TableName="players",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        seed(ddb, "players", args.players)
        store = PlayerStore("players", ddb)
        reach = ReachEstimates(store, FixedClock(NOW), max_players=args.players)

        t = time.perf_counter()
        result = reach.estimate(SEGMENT, "segment.match")
        api_s = time.perf_counter() - t

        states, _ = store.scan_states(args.players)
        t = time.perf_counter()
        pure = estimate(SEGMENT, states, NOW)
        pure_s = time.perf_counter() - t

    print(f"players: {args.players}, matched: {result.matched} (pure: {pure.matched})")
    print(f"scan + judge on moto: {api_s:.2f} s ({args.players / api_s:,.0f} players/s)")
    print(f"judging alone:        {pure_s:.2f} s ({args.players / pure_s:,.0f} players/s)")


if __name__ == "__main__":
    main()
