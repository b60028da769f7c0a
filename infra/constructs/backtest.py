"""The backtest at scale in AWS: Athena selects shards of players, a Step Functions
Distributed Map replays each shard in the backtest Lambda, a reduce step adds them up.

Execution input: `{"from": "2026-10-01", "to": "2026-10-31", "draft": {...}}` (UTC days; a
draft document, docs/backtest.md). A first step checks it (dates, and that the draft
compiles) before Athena spends anything, and only its parsed output reaches the SQL. The
run's files live under `backtests/<execution name>/` in the lake bucket: Athena's shards
(`input/shard=K/`, gzip JSON lines: every event of a player in one shard, history before
`from` included to warm state up), one result per shard (`results/`) and the report
(`report.json`), which the execution also returns in brief.

Nothing of this is home-made scheduling: Step Functions runs the shards (at most
MAX_CONCURRENCY at once, each retried on Lambda's transient errors), Athena does the
selection. Lake files are read-only to it; only `backtests/` is written.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import LOG_RETENTION_NAMES, StackConfig
from infra.constructs.functions import app_function
from infra.constructs.lake import Lake
from infra.constructs.tables import Tables
from infra.nag import acknowledge

SHARDS = 32
MAX_CONCURRENCY = 16
SHARD_TIMEOUT = Duration.minutes(15)
BACKTESTS_PREFIX = "backtests/"
# A stable hash of the player id -> 0..SHARDS-1 (all of a player's events in one shard);
# `to` is the Check step's output, a date it parsed and wrote back, never the raw input.
UNLOAD_SQL = (
    "UNLOAD (SELECT player_id, event_id, detail_type, source, detail, "
    "bitwise_and(from_big_endian_64(xxhash64(to_utf8(player_id))), 9223372036854775807) % 32 "
    "AS shard FROM events WHERE dt <= {}) "
    "TO {} WITH (format = 'JSON', compression = 'GZIP', partitioned_by = ARRAY['shard'])"
)


def _literal(text: str) -> str:
    """`text` as a string literal of an intrinsic function (quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def unload_query(bucket_name: str) -> str:
    """The UNLOAD of a run as a States.Format over the Check step's parsed `to` and the
    execution's name (its output prefix under backtests/)."""
    quoted_day = _literal("'{}'")
    prefix = _literal(f"'s3://{{}}/{BACKTESTS_PREFIX}{{}}/input/'")
    to = f"States.Format({quoted_day}, $.to)"
    location = f"States.Format({prefix}, {_literal(bucket_name)}, $$.Execution.Name)"
    return f"States.Format({_literal(UNLOAD_SQL)}, {to}, {location})"


class Backtest(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StackConfig, lake: Lake, tables: Tables
    ) -> None:
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.function = app_function(
            Construct(self, "Replay"),
            config=config,
            handler="functions.backtest.handler.handler",
            service="engage-backtest",
            description="backtest: replay one shard of players under two configs, or reduce",
            timeout=SHARD_TIMEOUT,
            removal=removal,
            environment={
                "ENGAGE_LAKE_BUCKET": lake.bucket.bucket_name,
                "ENGAGE_CONFIG_TABLE": tables.config_table.table_name,
            },
        )
        objects = lake.bucket.arn_for_objects(f"{BACKTESTS_PREFIX}*")
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[objects])
        )
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[lake.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{BACKTESTS_PREFIX}*"]}},
            )
        )
        tables.config_table.grant_read_data(self.function.role)
        bucket = _logical_id(lake.bucket)
        acknowledge(
            self.function.role,
            f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{BACKTESTS_PREFIX}*]",
            "The backtest reads and writes only its runs' files under backtests/ in the lake "
            "bucket; each run's keys are made at run time (execution name, shard), so the "
            "prefix is the narrowest resource IAM can name.",
        )

        check = tasks.LambdaInvoke(
            self,
            "Check",
            lambda_function=self.function.function,
            payload=sfn.TaskInput.from_object(
                {
                    "step": "check",
                    "run": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "from": sfn.JsonPath.string_at("$.from"),
                    "to": sfn.JsonPath.string_at("$.to"),
                    "draft": sfn.JsonPath.object_at("$.draft"),
                }
            ),
            payload_response_only=True,
            retry_on_service_exceptions=True,
        )
        run = sfn.JsonPath.string_at("$$.Execution.Name")
        # A custom state, not tasks.AthenaStartQueryExecution: that task grants its role
        # s3:GetObject, ListBucket and CreateBucket on every bucket ("*"), and PutObject too
        # unless a result location is named. The grants below name the lake's prefixes.
        select = sfn.CustomState(
            self,
            "SelectShards",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::athena:startQueryExecution.sync",
                "Parameters": {
                    "QueryString.$": unload_query(lake.bucket.bucket_name),
                    "QueryExecutionContext": {"Database": lake.database_name},
                    "WorkGroup": lake.workgroup.name,
                },
                "ResultPath": None,
            },
        )
        shards = sfn.Pass(
            self,
            "ListShards",
            parameters={
                "from.$": "$.from",
                "to.$": "$.to",
                "draft.$": "$.draft",
                "shards.$": f"States.ArrayRange(0, {SHARDS - 1}, 1)",
            },
        )
        replay_shard = tasks.LambdaInvoke(
            self,
            "ReplayShard",
            lambda_function=self.function.function,
            payload_response_only=True,
            retry_on_service_exceptions=True,
        )
        each = sfn.DistributedMap(
            self,
            "ReplayShards",
            items_path="$.shards",
            item_selector={
                "step": "shard",
                "run.$": "$$.Execution.Name",
                "shard.$": "$$.Map.Item.Value",
                "from.$": "$.from",
                "to.$": "$.to",
                "draft.$": "$.draft",
            },
            max_concurrency=MAX_CONCURRENCY,
            result_path=sfn.JsonPath.DISCARD,
        )
        each.item_processor(replay_shard)
        reduce = tasks.LambdaInvoke(
            self,
            "Reduce",
            lambda_function=self.function.function,
            payload=sfn.TaskInput.from_object(
                {
                    "step": "reduce",
                    "run": run,
                    "from": sfn.JsonPath.string_at("$.from"),
                    "to": sfn.JsonPath.string_at("$.to"),
                    "draft": sfn.JsonPath.object_at("$.draft"),
                }
            ),
            payload_response_only=True,
            retry_on_service_exceptions=True,
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]],
            removal_policy=removal,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(
                check.next(select).next(shards).next(each).next(reduce)
            ),
            timeout=Duration.hours(6),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL),
        )
        # Athena runs the UNLOAD as the state machine's role: in the lake's workgroup, over
        # its `events` table and files; it writes the run's shards and its result files.
        role = self.state_machine.role
        lake.grant_queries(role, kinds=("events",))
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[lake.bucket.arn_for_objects(f"{BACKTESTS_PREFIX}*")],
            )
        )
        machine = _logical_id(self.state_machine)
        function = _logical_id(self.function.function)
        executions = (
            "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}'
        )
        reasons = {
            f"Resource::<{function}.Arn>:*": "Step Functions' Lambda integration invokes any "
            "version or alias of the one backtest function (the ':*' CDK adds for retries).",
            "Resource::*": "X-Ray segments and CloudWatch Logs delivery of the state machine's "
            "own tracing and logging, which CDK grants on '*' (those actions take no resource "
            "scoping). No data action is granted on '*'.",
            f"Resource::<{bucket}.Arn>/{BACKTESTS_PREFIX}*": "Athena writes each run's shards "
            "under backtests/<execution>/input/, keys it makes at run time.",
        }
        for finding, reason in reasons.items():
            acknowledge(role, f"AwsSolutions-IAM5[{finding}]", reason)
        map_policy = self.state_machine.node.find_child("DistributedMapPolicy")
        for suffix in (":*", "/*:*"):
            acknowledge(
                map_policy,
                f"AwsSolutions-IAM5[Resource::{executions}{suffix}]",
                "A Distributed Map runs each shard as a child execution of this state machine; "
                "CDK grants describing and stopping exactly those executions, named at run time.",
            )


def _logical_id(construct: Construct) -> str:
    """The CloudFormation logical id cdk-nag prints for a construct's resource."""
    resource = construct.node.default_child if construct.node.default_child else construct
    return Stack.of(construct).get_logical_id(resource)  # type: ignore[arg-type]
