"""The event lake in AWS: S3 (Parquet, Hive-style partitions), Glue tables with partition
projection, an Athena workgroup, and Kinesis Data Firehose streams that write the files.

- `events`: an EventBridge rule sends every contract event on the bus to a Firehose stream;
  a transformation function flattens it to an `events` row and redacts contact data, then
  Firehose converts it to Parquet under `type=events/dt=<event day>/`.
- `decisions`, `deliveries`: a function on the player table's stream (the durable, retried
  record of what the engine committed and what dispatch did) puts rows on two more streams.

The Glue columns come from `shared.domain.outputs.lake.COLUMNS`, the same that the local
lake uses, so the report SQL runs unchanged on DuckDB and Athena.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3
from constructs import Construct

from events.routing import BUS_RULE_PATTERN
from infra.config import StackConfig
from infra.constructs.bus import EngageBus, event_pattern
from infra.constructs.functions import AppFunction, app_function
from infra.constructs.player_stream import consume_player_stream, stream_dead_letter_queue
from infra.constructs.tables import Tables
from infra.nag import acknowledge
from shared.console.settings import CONSOLE_ENV
from shared.domain.outputs.lake import COLUMNS, KINDS, PARTITION_COLUMN, LakeKind

# Lake files: a year hot, then Intelligent-Tiering; kept two years (a backtest window).
LAKE_RETENTION = Duration.days(730)
TIERING_AFTER = Duration.days(90)
ATHENA_RESULTS_PREFIX = "athena-results/"
# What the report needs of Athena: start its queries, follow them, read their results.
REPORT_ATHENA_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:BatchGetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
)
ATHENA_RESULTS_RETENTION = Duration.days(7)
# A runaway query stops here (10 GB, $0.05 at $5/TB); reports read far less (docs/reports.md).
BYTES_SCANNED_CUTOFF = 10 * 1024**3
PROJECTION_START = "2025-01-01"
# Parquet conversion needs a buffer of at least 64 MiB; 5 minutes bounds the lag.
BUFFER_MB = 64
BUFFER_SECONDS = 300
GLUE_TYPES = {"VARCHAR": "string", "TIMESTAMP": "timestamp", "DOUBLE": "double", "BIGINT": "bigint"}
# The player table's stream items the lake reads (the dispatch filter reads OUTBOX# INSERTs).
STREAM_FILTERS = [
    # A commit that booked ledger lines marks its state item with `ln` (ledger_tail.py).
    {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {"sk": {"S": ["STATE"]}},
            "NewImage": {"ln": {"N": [{"exists": True}]}},
        },
    },
    {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "AUDIT#"}]}}}},
    {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "OUTBOX#"}]}}},
    },
]


class Lake(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StackConfig, bus: EngageBus, tables: Tables
    ) -> None:
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=False,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This bucket is the lake bucket's server access log target; logging a log bucket "
            "into itself would loop, and a second log bucket would only move the finding.",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="lake/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="lake-files",
                    prefix="type=",
                    expiration=LAKE_RETENTION,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                            transition_after=TIERING_AFTER,
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="athena-results",
                    prefix=ATHENA_RESULTS_PREFIX,
                    expiration=ATHENA_RESULTS_RETENTION,
                ),
                s3.LifecycleRule(
                    id="firehose-errors", prefix="errors/", expiration=Duration.days(30)
                ),
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            removal_policy=removal,
        )
        # Glue database names are account-wide: one per stage, so dev and prod can coexist.
        self.database_name = f"engage_lake_{config.stage}"
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name, description="engage event lake"
            ),
        )
        self.tables = {kind: self._table(kind) for kind in KINDS}
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"engage-lake-{Stack.of(self).stack_name}",
            description="engage lake reports",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.bucket.bucket_name}/{ATHENA_RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )

        self.transform = app_function(
            Construct(self, "Transform"),
            config=config,
            handler="functions.lake.firehose.handler",
            service="engage-lake-transform",
            description="Firehose transformation: bus events -> lake rows, contact data redacted",
            timeout=Duration.minutes(1),
            removal=removal,
            environment={},
        )
        self.firehose_role = iam.Role(
            self,
            "FirehoseRole",
            description="engage: Firehose writes lake Parquet files",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
        )
        # What Firehose's S3 destination documents it needs, on this bucket only.
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:AbortMultipartUpload",
                    "s3:GetBucketLocation",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                    "s3:PutObject",
                ],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            )
        )
        acknowledge(
            self.firehose_role,
            "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/*]",
            "Firehose writes object keys it derives at run time from each record's event day "
            "(type=<kind>/dt=<day>/...) and its error prefix, so the resource is the objects of "
            "the lake bucket; no other bucket is reachable.",
        )
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resources=[
                    f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:catalog",
                    f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:database/"
                    f"{self.database_name}",
                    *(
                        f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:table/"
                        f"{self.database_name}/{kind}"
                        for kind in KINDS
                    ),
                ],
            )
        )
        self.firehose_role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[self.transform.function.function_arn],
            )
        )
        self.streams = {kind: self._stream(kind) for kind in KINDS}

        # No DLQ option for a Firehose target: a failed delivery is alarmed
        # (ToLakeFailedInvocations), and the bus archive still holds the event for a replay.
        self.events_rule = events.Rule(
            self,
            "ToLake",
            event_bus=bus.bus,
            description="engage: contract detail-types -> lake (Firehose)",
            event_pattern=event_pattern(BUS_RULE_PATTERN),
            targets=[
                targets.KinesisFirehoseStreamV2(
                    firehose.DeliveryStream.from_delivery_stream_attributes(
                        self,
                        "EventsStreamRef",
                        delivery_stream_arn=self.streams["events"].attr_arn,
                        delivery_stream_name=self.streams["events"].ref,
                    )
                )
            ],
        )

        self.writer_dead_letter_queue = stream_dead_letter_queue(
            self, "WriterDeadLetterQueue", "lake writer"
        )
        self.writer = app_function(
            Construct(self, "Writer"),
            config=config,
            handler="functions.lake.stream.handler",
            service="engage-lake",
            description="player table stream -> lake decision and delivery rows (Firehose)",
            timeout=Duration.minutes(1),
            removal=removal,
            environment={
                "ENGAGE_LAKE_DECISIONS_STREAM": self.streams["decisions"].ref,
                "ENGAGE_LAKE_DELIVERIES_STREAM": self.streams["deliveries"].ref,
            },
        )
        self.writer.role.add_to_policy(
            iam.PolicyStatement(
                actions=["firehose:PutRecordBatch"],
                resources=[self.streams["decisions"].attr_arn, self.streams["deliveries"].attr_arn],
            )
        )
        consume_player_stream(
            self.writer.function,
            tables,
            self.writer_dead_letter_queue,
            STREAM_FILTERS,
            batch_size=500,
            retry_attempts=10,
            max_batching_window=Duration.seconds(30),
        )

    def grant_reports(self, function: AppFunction) -> None:
        """Let `function` run the report's queries (the console's Reports tab), and tell it
        the workgroup and database."""
        self.grant_queries(function.role)
        function.function.add_environment(CONSOLE_ENV["lake_workgroup"], self.workgroup.ref)
        function.function.add_environment(CONSOLE_ENV["lake_database"], self.database_name)

    def grant_queries(self, role: iam.IRole, kinds: Sequence[LakeKind] = KINDS) -> None:
        """Let `role` run Athena queries over the lake's `kinds` of table: queries in this
        workgroup only, read access to those tables and their files, and the workgroup's
        result prefix, which Athena writes with the caller's credentials."""
        arn = f"arn:{Aws.PARTITION}"
        # All kinds: every object under type=; fewer: each kind's own prefix.
        files = ["type=*"] if set(kinds) == set(KINDS) else [f"type={kind}/*" for kind in kinds]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(REPORT_ATHENA_ACTIONS),
                resources=[
                    f"{arn}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:workgroup/{self.workgroup.ref}"
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetTables"],
                resources=[
                    f"{arn}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:catalog",
                    f"{arn}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:database/{self.database_name}",
                    *(
                        f"{arn}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:table/"
                        f"{self.database_name}/{kind}"
                        for kind in kinds
                    ),
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects(prefix) for prefix in files],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[self.bucket.arn_for_objects(f"{ATHENA_RESULTS_PREFIX}*")],
            )
        )
        for prefix in files:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/{prefix}]",
                "Athena reads the lake's files, whose keys Firehose derives from each "
                "record's day (type=<kind>/dt=<day>/...): the objects under the prefix of the "
                "kinds queried, read-only.",
            )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/{ATHENA_RESULTS_PREFIX}*]",
            "Athena writes each query's result under the workgroup's result prefix with a key "
            "it picks at run time (the query id), using the caller's credentials.",
        )

    def _table(self, kind: LakeKind) -> glue.CfnTable:
        location = f"s3://{self.bucket.bucket_name}/type={kind}/"
        table = glue.CfnTable(
            self,
            f"{kind.capitalize()}Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=kind,
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "parquet",
                    # Partition projection: Athena computes the dt partitions from the query's
                    # filter, no crawler and no MSCK REPAIR.
                    "projection.enabled": "true",
                    f"projection.{PARTITION_COLUMN}.type": "date",
                    f"projection.{PARTITION_COLUMN}.format": "yyyy-MM-dd",
                    f"projection.{PARTITION_COLUMN}.range": f"{PROJECTION_START},NOW",
                    f"projection.{PARTITION_COLUMN}.interval": "1",
                    f"projection.{PARTITION_COLUMN}.interval.unit": "DAYS",
                    "storage.location.template": f"{location}{PARTITION_COLUMN}=${{dt}}/",
                },
                partition_keys=[glue.CfnTable.ColumnProperty(name=PARTITION_COLUMN, type="string")],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=GLUE_TYPES[sql])
                        for name, sql in COLUMNS[kind].items()
                    ],
                ),
            ),
        )
        table.add_dependency(self.database)
        return table

    def _stream(self, kind: LakeKind) -> firehose.CfnDeliveryStream:
        P = firehose.CfnDeliveryStream
        if kind == "events":
            # The transformation returns the row and its dt partition key.
            processors = [
                P.ProcessorProperty(
                    type="Lambda",
                    parameters=[
                        P.ProcessorParameterProperty(
                            parameter_name="LambdaArn",
                            parameter_value=self.transform.function.function_arn,
                        )
                    ],
                )
            ]
            dt = "!{partitionKeyFromLambda:dt}"
        else:
            processors = [
                P.ProcessorProperty(
                    type="MetadataExtraction",
                    parameters=[
                        P.ProcessorParameterProperty(
                            parameter_name="MetadataExtractionQuery", parameter_value="{dt: .dt}"
                        ),
                        P.ProcessorParameterProperty(
                            parameter_name="JsonParsingEngine", parameter_value="JQ-1.6"
                        ),
                    ],
                )
            ]
            dt = "!{partitionKeyFromQuery:dt}"
        stream = P(
            self,
            f"{kind.capitalize()}Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=P.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=P.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=self.firehose_role.role_arn,
                prefix=f"type={kind}/{PARTITION_COLUMN}={dt}/",
                error_output_prefix=f"errors/type={kind}/!{{firehose:error-output-type}}/",
                buffering_hints=P.BufferingHintsProperty(
                    size_in_m_bs=BUFFER_MB, interval_in_seconds=BUFFER_SECONDS
                ),
                dynamic_partitioning_configuration=P.DynamicPartitioningConfigurationProperty(
                    enabled=True
                ),
                processing_configuration=P.ProcessingConfigurationProperty(
                    enabled=True, processors=processors
                ),
                data_format_conversion_configuration=P.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    input_format_configuration=P.InputFormatConfigurationProperty(
                        # Hive's JSON SerDe parses timestamps with java.sql.Timestamp.valueOf
                        # by default, the "YYYY-MM-DD HH:MM:SS[.f]" form the rows are written in.
                        deserializer=P.DeserializerProperty(
                            hive_json_ser_de=P.HiveJsonSerDeProperty()
                        )
                    ),
                    output_format_configuration=P.OutputFormatConfigurationProperty(
                        serializer=P.SerializerProperty(
                            parquet_ser_de=P.ParquetSerDeProperty(compression="SNAPPY")
                        )
                    ),
                    schema_configuration=P.SchemaConfigurationProperty(
                        catalog_id=Aws.ACCOUNT_ID,
                        database_name=self.database_name,
                        table_name=kind,
                        region=Aws.REGION,
                        role_arn=self.firehose_role.role_arn,
                        version_id="LATEST",
                    ),
                ),
            ),
        )
        stream.add_dependency(self.tables[kind])
        stream.node.add_dependency(self.firehose_role)
        return stream
