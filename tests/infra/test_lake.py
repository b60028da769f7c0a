"""The event lake in the stack: bucket, Glue tables with projection, Athena, Firehose, IAM."""

from __future__ import annotations

import json

import pytest

from shared.domain.language.patterns import compile_pattern
from shared.domain.outputs.lake import COLUMNS

from .conftest import Synth
from .test_stack import function, role_statements

pytestmark = pytest.mark.infra


def _lake_bucket(synth: Synth):
    (bucket,) = [
        b["Properties"]
        for b in synth.resources("AWS::S3::Bucket").values()
        if "LoggingConfiguration" in b["Properties"]
    ]
    return bucket


def test_the_lake_bucket_is_encrypted_private_logged_and_expires_files(synth: Synth):
    bucket = _lake_bucket(synth)

    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    rules = {r.get("Id"): r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["lake-files"]["ExpirationInDays"] == 730
    assert rules["athena-results"]["ExpirationInDays"] == 7


def test_the_lake_bucket_refuses_requests_without_tls(synth: Synth):
    policies = json.dumps(
        [p["Properties"] for p in synth.resources("AWS::S3::BucketPolicy").values()]
    )

    assert '"aws:SecureTransport": "false"' in policies


def test_each_lake_kind_is_a_parquet_glue_table_with_the_local_lakes_columns(synth: Synth):
    tables = {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in synth.resources("AWS::Glue::Table").values()
    }

    assert set(tables) == set(COLUMNS)
    for kind, table in tables.items():
        columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
        assert columns == list(COLUMNS[kind])
        assert "Parquet" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]


def test_the_tables_use_partition_projection_by_day(synth: Synth):
    for table in synth.resources("AWS::Glue::Table").values():
        params = table["Properties"]["TableInput"]["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["projection.dt.type"] == "date"
        assert params["projection.dt.format"] == "yyyy-MM-dd"


def test_the_athena_workgroup_is_enforced_encrypted_and_capped(synth: Synth):
    (workgroup,) = synth.resources("AWS::Athena::WorkGroup").values()
    conf = workgroup["Properties"]["WorkGroupConfiguration"]

    assert conf["EnforceWorkGroupConfiguration"] is True
    assert conf["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert conf["BytesScannedCutoffPerQuery"] == 10 * 1024**3


def test_every_firehose_stream_converts_to_parquet_into_its_type_and_day_prefix(synth: Synth):
    streams = synth.resources("AWS::KinesisFirehose::DeliveryStream").values()
    prefixes = set()
    for stream in streams:
        dest = stream["Properties"]["ExtendedS3DestinationConfiguration"]
        conversion = dest["DataFormatConversionConfiguration"]
        assert conversion["Enabled"] is True
        assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
        assert stream["Properties"]["DeliveryStreamEncryptionConfigurationInput"]["KeyType"]
        prefixes.add(dest["Prefix"])

    assert prefixes == {
        "type=events/dt=!{partitionKeyFromLambda:dt}/",
        "type=decisions/dt=!{partitionKeyFromQuery:dt}/",
        "type=deliveries/dt=!{partitionKeyFromQuery:dt}/",
    }


def test_an_eventbridge_rule_sends_every_contract_event_to_the_events_stream(synth: Synth):
    firehose_rules = [
        r["Properties"]
        for r in synth.resources("AWS::Events::Rule").values()
        if any(
            "LakeEventsStream" in json.dumps(t["Arn"]) for t in r["Properties"].get("Targets", [])
        )
    ]

    assert len(firehose_rules) == 1
    assert "player.registered" in firehose_rules[0]["EventPattern"]["detail-type"]


def test_the_lake_writer_reads_only_booked_lines_audit_and_outbox_stream_items(synth: Synth):
    writer_id, _ = function(synth, "functions.lake.stream.handler")
    (mapping,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": writer_id}
    ]
    filters = [
        compile_pattern(json.loads(f["Pattern"]), path="filter")
        for f in mapping["FilterCriteria"]["Filters"]
    ]

    def reads(event: str, sk: str, **image: dict[str, str]) -> bool:
        record = {
            "eventName": event,
            "dynamodb": {"Keys": {"sk": {"S": sk}}, "NewImage": {"sk": {"S": sk}, **image}},
        }
        return any(f.matches(record) for f in filters)

    # A state write that booked ledger lines says so with `ln` (ledger_tail.py).
    assert reads("MODIFY", "STATE", ln={"N": "4"})
    assert reads("INSERT", "STATE", ln={"N": "0"})
    assert not reads("MODIFY", "STATE")
    assert reads("INSERT", "AUDIT#2026-10-01T00:00:00+00:00#a")
    assert reads("INSERT", "OUTBOX#o-1")
    assert reads("MODIFY", "OUTBOX#o-1")
    # Pages hold lines already read from the state's record; markers and seen pages are
    # not decisions.
    assert not reads("INSERT", "LEDGER#P#0000000004")
    assert not reads("INSERT", "EVENT#e-1")
    assert not reads("INSERT", "SEEN#2026-10-01#0000000007")


def test_the_lake_writer_may_only_put_records_on_the_two_lake_streams(synth: Synth):
    _, props = function(synth, "functions.lake.stream.handler")
    firehose = [s for s in role_statements(synth, props) if "firehose" in json.dumps(s["Action"])]

    assert [s["Action"] for s in firehose] == ["firehose:PutRecordBatch"]
    assert len(firehose[0]["Resource"]) == 2
