"""Spin-the-wheel cost: the pure draw + decision, and whole spins on a local moto server.

    python benchmarks/wheel_spins.py [--players N] [--racers N]

Prints: draws/s of the pure core (eligible + pick over the starter wheel), decisions/s of
`decide(WheelSpun)`, sequential spins/s through GameCommands on moto (one player each,
each a load + record read + pool read + one transaction), and how many transaction
attempts N racers for the last unit of a prize needed. moto is far slower than DynamoDB;
the figures compare designs and catch regressions, they are not production latencies.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from shared.domain.core.state import PlayerState
from shared.domain.game.wheels import eligible, pick, total_weight
from shared.domain.run.decide import decide, decide_all
from shared.local.demo import START
from shared.local.embedded import Embedded, load_starter_config, start_moto
from tests.builders import PLAYER, T0, registered
from tests.game_builders import GRANT_RULE, deposit_of, game_config, prize, spun, wheel
from tests.game_stack import FirstPrize, commands, publish_game, seed


def pure(n: int) -> None:
    config = game_config(GRANT_RULE)
    w = config.game.wheels["daily"]
    rng = secrets.SystemRandom()
    started = time.perf_counter()
    for _ in range(n):
        left = eligible(w, {}, 0)
        pick(left, rng.randrange(total_weight(left)))
    took = time.perf_counter() - started
    print(f"pure draw (eligible + pick, CSPRNG): {n / took:,.0f}/s")
    state = decide_all(PlayerState.new(PLAYER), [registered(T0), deposit_of(10)], config, T0).state
    started = time.perf_counter()
    for _ in range(n // 10):
        decide(state, spun("p100", T0), config, T0)
    took = time.perf_counter() - started
    print(f"decide(engage.wheel.spun) paying points: {n / 10 / took:,.0f}/s")


def isolate_moto_transactions() -> None:
    """As tests/e2e/conftest.py: moto's rollback is not isolated between threads."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def serialized(self: object, *args: object, **kwargs: object) -> object:
        with lock:
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

    DynamoDBBackend.transact_write_items = serialized  # type: ignore[method-assign,assignment]


def on_moto(players: int, racers: int) -> None:
    isolate_moto_transactions()
    server, endpoint = start_moto()
    try:
        stack = Embedded.on(server, endpoint, START)
        load_starter_config(stack.runtime.config, stack.clock.now())
        ids = [f"b-{i}" for i in range(players)]
        publish_game(stack.runtime.config, stack.clock.now(), rules=[GRANT_RULE])
        for p in ids:
            seed(stack, p, [deposit_of(10, stack.clock.now(), p)])
        games = commands(stack)
        started = time.perf_counter()
        for p in ids:
            games.spin(p, "daily", f"r-{p}")
        took = time.perf_counter() - started
        print(
            f"sequential spins on moto: {players / took:,.1f}/s ({took / players * 1000:.1f} ms each)"
        )

        publish_game(
            stack.runtime.config,
            stack.clock.now(),
            wheels=[wheel("last", prize("car", stock=1), prize("miss"))],
            rules=[{**GRANT_RULE, "rule_id": "last", "then": [{"grant_spins": {"wheel": "last"}}]}],
        )
        racing = [f"r-{i}" for i in range(racers)]
        for p in racing:
            seed(stack, p, [deposit_of(10, stack.clock.now(), p)])
        attempts = 0
        lock = threading.Lock()
        counted = commands(stack, FirstPrize(), max_attempts=20)
        original = counted._try_spin

        def counting(*args: object) -> object:
            nonlocal attempts
            with lock:
                attempts += 1
            return original(*args)  # type: ignore[arg-type]

        counted._try_spin = counting  # type: ignore[method-assign,assignment]
        barrier = threading.Barrier(racers)
        results: list[str] = []

        def go(p: str) -> None:
            barrier.wait()
            results.append(counted.spin(p, "last", f"x-{p}").record.prize_id)

        threads = [threading.Thread(target=go, args=(p,)) for p in racing]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(
            f"{racers} racers for 1 unit: car paid {results.count('car')}x, "
            f"{attempts} attempts in all ({attempts / racers:.2f} per spin)"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", type=int, default=100)
    parser.add_argument("--racers", type=int, default=10)
    parser.add_argument("--draws", type=int, default=100_000)
    args = parser.parse_args()
    pure(args.draws)
    on_moto(args.players, args.racers)


if __name__ == "__main__":
    main()
