"""The README's "Try your own events" flow as a newcomer runs it: `engage up` in one folder,
`engage send --now` / `player` / `advance` from another, on loopback only."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "events" / "samples" / "valid"


def _free_port_block(size: int = 5) -> int:
    """A base port with `size` free ports after it (moto, control, console, unsubscribe, API).

    Drawn below Linux's ephemeral range (32768-60999): a block taken from that range can be
    handed to some client's outgoing connection between this probe and `engage up` binding
    it (seen once as "Address already in use").
    """
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20_000, 32_000)
        try:
            for offset in range(size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports")


def _engage(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.local.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def running_stack(tmp_path):
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    checkout.mkdir()
    elsewhere.mkdir()
    env = {
        **os.environ,
        "ENGAGE_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(REPO),
    }
    port = _free_port_block()
    up = subprocess.Popen(
        [sys.executable, "-m", "shared.local.cli", "up", "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    record = tmp_path / "state" / "local.json"
    deadline = time.monotonic() + 90
    while not record.exists():
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            pytest.fail(f"engage up did not start: {up.stdout.read() if up.stdout else ''}")
        time.sleep(0.2)
    yield elsewhere, env, json.loads(record.read_text())
    up.send_signal(signal.SIGINT)
    try:
        up.wait(timeout=30)
    except subprocess.TimeoutExpired:
        up.kill()
    assert not record.exists(), "engage up left its record behind after stopping"


def test_send_player_and_advance_work_from_another_folder(running_stack):
    elsewhere, env, record = running_stack
    assert record["control"].startswith("http://127.0.0.1:")

    stale = _engage("send", str(SAMPLES / "player.registered.json"), cwd=elsewhere, env=env)
    assert stale.returncode == 0, stale.stderr
    # The sample is dated 2025: the CLI says its timers are due at once and how to avoid it.
    assert "days before the stack's clock" in stale.stdout
    assert "engage send --now" in stale.stdout

    sent = _engage(
        "send", "--now", str(SAMPLES / "wallet.deposit_succeeded.json"), cwd=elsewhere, env=env
    )
    assert sent.returncode == 0, sent.stderr
    assert "days before" not in sent.stdout
    assert "failed: 0" in sent.stdout

    player = _engage("player", "p-1001", cwd=elsewhere, env=env)
    assert player.returncode == 0, player.stderr
    assert "p-1001" in player.stdout
    assert "deposit" in player.stdout.lower()

    advanced = _engage("advance", "P1D", cwd=elsewhere, env=env)
    assert advanced.returncode == 0, advanced.stderr


def test_without_a_running_stack_the_cli_says_how_to_start_one(tmp_path):
    env = {**os.environ, "ENGAGE_STATE_DIR": str(tmp_path / "state"), "PYTHONPATH": str(REPO)}
    result = _engage("player", "p-1001", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "no local stack is running: start one with `engage up`" in result.stderr
