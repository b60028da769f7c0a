"""The AWS rebuild's history reader over moto's SQS: reads everything, deletes only after."""

from __future__ import annotations

import json

from shared.adapters.history_queue import QueueHistory


def test_reads_the_whole_queue_and_deletes_only_when_told(client):
    # Given: a rebuild queue a replay filled with 23 envelopes
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="rebuild")["QueueUrl"]
    for i in range(23):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": f"m-{i}", "detail": {}}))
    history = QueueHistory(sqs, url, wait_seconds=0)
    # When: it is read
    bodies = history.read()
    # Then: every message came back once, and they are still in the queue (invisible)
    assert sorted(json.loads(b)["id"] for b in bodies) == sorted(f"m-{i}" for i in range(23))
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "23"
    # When: the rebuild succeeded and the read messages are deleted
    assert history.delete_read() == 23
    # Then: the queue is empty
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["ApproximateNumberOfMessages"] == "0"
