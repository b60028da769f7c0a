"""`engage rebuild --queue-url`: the AWS recovery path, over moto in-process."""

from __future__ import annotations

import json
import random

from shared.adapters.config_store import ConfigStore
from shared.adapters.player_store import PlayerStore
from shared.local.cli import main
from shared.local.embedded import load_starter_config
from shared.local.provision import provision, rebuild_table
from shared.wiring import AwsClients
from tests.builders import T0, at, deposit, logged_in, registered
from tests.reorder_harness import envelope


def test_a_replayed_archive_in_a_queue_is_rebuilt_into_a_fresh_table(aws, capsys, monkeypatch):
    monkeypatch.setattr("shared.adapters.history_queue.POLL_SECONDS", 0)
    # Given: the stack's config, a fresh player table, and a replay's events in a queue
    clients = AwsClients(region="eu-west-1")
    resources = provision(clients)
    load_starter_config(ConfigStore(resources.config_table, clients.client("dynamodb")), T0)
    rebuild_table(clients, "players-rebuilt")
    events = [
        registered(T0, player="p-9", event_id="reg-9"),
        deposit(at(seconds=30), "40", player="p-9", event_id="dep-9"),
        logged_in(at(hours=30), player="p-9", event_id="in-9"),
    ]
    bodies = [envelope(e) for e in events]
    random.Random(3).shuffle(bodies)  # a replay has no order
    sqs = clients.client("sqs")
    url = sqs.create_queue(QueueName="engage-rebuild")["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    # When
    code = main(
        [
            "rebuild",
            "--queue-url",
            url,
            "--player-table",
            "players-rebuilt",
            "--config-table",
            resources.config_table,
        ]
    )
    # Then: the player is rebuilt in event-time order, nothing was queued for dispatch,
    # and the queue was emptied only after the rebuild
    out = capsys.readouterr().out
    assert code == 0
    assert "rebuilt 1 player(s) from 3 archived event(s)" in out
    assert "nothing was sent, scheduled or published" in out
    store = PlayerStore("players-rebuilt", clients.client("dynamodb"))
    state = store.state("p-9")
    assert state is not None
    assert state.profile.deposit_count == 1
    assert state.points_balance > 0
    assert store.outbox("p-9") == []
    assert sum(line.points for line in store.ledger("p-9")) == state.points_balance
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert json.loads(bodies[0])["detail"]["player_id"] == "p-9"


def test_rebuild_from_a_queue_names_the_missing_arguments(aws, capsys):
    code = main(["rebuild", "--queue-url", "https://sqs.example/q"])
    assert code != 0
    assert "--player-table and --config-table" in capsys.readouterr().err
