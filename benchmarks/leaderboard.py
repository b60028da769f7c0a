"""Leaderboard figures: score updates/s, top-N and my-rank latency, WCU per score update.

Run: python benchmarks/leaderboard.py [--players 100000] [--shards 16] [--queries 30]

Where it runs: moto in-process (`mock_aws`, no server, no sockets), one Python thread.
What a "score update" is here: the engine's real path minus SQS — load the player (state +
event marker), decide (the board scores the event), commit (the state item, naming the entry
it changed, and the event marker), then the board index's put of the entry with its GSI keys,
as the table's stream hands it the state item (shared/adapters/board_index.py). moto
maintains the GSI on each put.
The figures measure this code on moto, not DynamoDB: see docs/leaderboards.md for what
DynamoDB's own limits mean (the per-partition ceilings that sharding is designed around).
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

import boto3
from moto import mock_aws

from events.models import RoundFinished
from shared.adapters.board_index import BoardIndex
from shared.adapters.board_items import add_board_index, board_item
from shared.adapters.capacity import item_size
from shared.adapters.leaderboard_store import LeaderboardStore
from shared.adapters.player_store import Commit, PlayerStore, player_pk
from shared.domain.core.config import ConfigSnapshot, build_config
from shared.domain.core.state import PlayerState
from shared.domain.game.leaderboards import parse_sort_key
from shared.domain.run.decide import decide

TABLE = "bench-players"
SMALL = "bench-small"
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
PERIOD = "2026-03-23"


def board(shards: int) -> dict[str, object]:
    return {
        "board_id": "weekly-wins",
        "on": ["game.round_finished"],
        "score": {"kind": "sum", "of": "win_multiplier"},
        "window": {"every": "week", "time_zone": "Europe/Kyiv"},
        "shards": shards,
    }


def round_event(player: str, n: int, rng: random.Random) -> RoundFinished:
    return RoundFinished(
        player_id=player,
        event_id=f"r-{player}-{n}",
        occurred_at=NOW - timedelta(seconds=rng.randint(0, 86_400)),
        round_id=f"r{n}",
        game_id="book",
        category="slots",
        stake=Decimal(1),
        # Never 0: a zero score places no one on a board, and every event here is a score update.
        payout=Decimal(rng.randint(1, 500)),
        currency="EUR",
    )


def update(
    players: PlayerStore, ddb: Any, table: str, config: ConfigSnapshot, event: RoundFinished
) -> Commit:
    loaded = players.load(event.player_id, [event.event_id])
    step = decide(loaded.state, event, config, NOW)
    commit = Commit(
        player_id=event.player_id,
        state=step.state,
        expected_version=loaded.state.version,
        event_ids=[event.event_id],
        ledger=step.ledger,
        outbox=step.outbox,
        boards=step.board_entries,
    )
    players.commit(commit, now=NOW, dedupe_for=timedelta(days=1))
    key = {"pk": {"S": player_pk(event.player_id)}, "sk": {"S": "STATE"}}
    state_item = ddb.get_item(TableName=table, Key=key)["Item"]  # the stream's new image
    BoardIndex(table, ddb).project_image(state_item)
    return commit


def table_spec() -> dict[str, Any]:
    return add_board_index(
        {
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
    )


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--queries", type=int, default=5)
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--txn-updates", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(7)
    config = build_config(1, [], [], game_items={"leaderboard": [board(args.shards)]})
    assert not config.problems, config.problems

    with mock_aws():
        ddb: Any = boto3.client("dynamodb", region_name="eu-west-1")
        ddb.create_table(TableName=TABLE, **table_spec())
        PlayerStore(TABLE, ddb)
        boards = LeaderboardStore(TABLE, ddb)

        # 0. The engine's full write path (load, decide, commit, the index's put) on a small
        # table: moto snapshots the whole table on every transaction, so on moto this rate
        # falls as the table grows; DynamoDB's does not.
        ddb.create_table(TableName=SMALL, **table_spec())
        small = PlayerStore(SMALL, ddb)
        started = time.perf_counter()
        last: Commit | None = None
        for n in range(args.txn_updates):
            player = f"s{n % max(1, args.txn_updates // 2):05d}"
            last = update(small, ddb, SMALL, config, round_event(player, n, rng))
        upd_s = time.perf_counter() - started
        print(
            f"full path (load+decide+commit+index put), {args.txn_updates} updates of "
            f"{max(1, args.txn_updates // 2)} players: {upd_s:.2f} s = "
            f"{args.txn_updates / upd_s:,.0f} updates/s (moto-bound)"
        )

        # 1. Load: each player's board entry put as the commit writes it (item + GSI keys).
        # Not through TransactWriteItems: moto snapshots the whole table for rollback on
        # every transaction, so its cost grows with the table (see step 2), not DynamoDB's.
        started = time.perf_counter()
        report_every = max(1, args.players // 5)
        for i in range(args.players):
            event = round_event(f"p{i:06d}", 0, rng)
            step = decide(PlayerState.new(event.player_id), event, config, NOW)
            (scored,) = step.board_entries
            ddb.put_item(TableName=TABLE, Item=board_item(player_pk(event.player_id), scored, 1))
            if (i + 1) % report_every == 0:
                rate = (i + 1) / (time.perf_counter() - started)
                print(f"  loaded {i + 1:>7} players ({rate:,.0f} entry puts/s so far)", flush=True)
        load_s = time.perf_counter() - started
        print(f"load: {args.players} players (decide + entry put + GSI) in {load_s:.1f} s")
        print(f"  = {args.players / load_s:,.0f} score updates/s (one thread, moto in-process)")

        # 3. Top-N: one descending query per shard, merged.
        latencies = []
        for _ in range(args.queries):
            t = time.perf_counter()
            top = boards.top("weekly-wins", PERIOD, args.shards, args.top)
            latencies.append((time.perf_counter() - t) * 1000)
        assert len(top) == args.top
        print(
            f"top-{args.top} over {args.shards} shards: median {statistics.median(latencies):.1f}"
            f" ms, p95 {pct(latencies, 0.95):.1f} ms ({args.queries} queries)"
        )

        # Our own share of a top-N read: merging the shards' keys and parsing them.
        keys = [boards._best("weekly-wins", PERIOD, s, args.top) for s in range(args.shards)]
        t = time.perf_counter()
        for _ in range(100):
            merged = heapq.merge(*keys, reverse=True)
            [parse_sort_key(k) for i, k in enumerate(merged) if i < args.top]
        print(
            f"  of which merge + parse of {args.shards}x{args.top} keys: "
            f"{(time.perf_counter() - t) * 10:.2f} ms (the rest is moto's query)"
        )

        # 4. My rank: a top player (exact path) and a mid-table player (estimated path).
        for label, who in (("top-10 player", top[9].entry.player_id), ("median player", None)):
            player = who or f"p{rng.randrange(args.players):06d}"
            samples = []
            for _ in range(max(5, args.queries // 3)):
                t = time.perf_counter()
                mine = boards.rank(player, "weekly-wins", PERIOD, args.shards)
                samples.append((time.perf_counter() - t) * 1000)
            assert mine is not None
            kind = "estimated" if mine.approximate else "exact"
            print(
                f"my rank, {label}: rank {mine.rank} ({kind}), median "
                f"{statistics.median(samples):.1f} ms, p95 {pct(samples, 0.95):.1f} ms"
            )

        # 5. Items and WCU per score update, from the items themselves (capacity.py rules).
        assert last is not None
        assert last.boards
        entry = board_item(player_pk(last.player_id), last.boards[0], last.expected_version + 1)
        entry_bytes = item_size(entry)
        index_bytes = item_size(
            {k: v for k, v in entry.items() if k in ("pk", "sk", "gsi1pk", "gsi1sk")}
        )
        entry_wcu = max(1, math.ceil(entry_bytes / 1024))
        index_wcu = max(1, math.ceil((index_bytes + 100) / 1024))
        print("write pattern per score update (beyond the state item + event marker):")
        print(
            f"  board entry item: {entry_bytes} B -> {entry_wcu} WCU (the board index's put, "
            "from the stream; the commit only names it on the state item)"
        )
        print(
            f"  GSI gsi1 (KEYS_ONLY, {index_bytes} B + 100 B overhead): {index_wcu} WCU on first"
            f" insert, {2 * index_wcu} WCU on an update (the sort key moves: delete + put)"
        )
        print(
            f"  per-shard ceiling: 1,000 WCU/s per GSI partition key => "
            f"~{1000 // (2 * index_wcu):,} updates/s per shard, "
            f"~{args.shards * 1000 // (2 * index_wcu):,} updates/s per board at {args.shards} shards"
        )


if __name__ == "__main__":
    main()
