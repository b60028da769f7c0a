"""The player table (state, ledger, outbox) and the config table (rules, missions, ...)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from shared.adapters.board_items import INDEX_NAME

TTL_ATTRIBUTE = "expires_at"
BOARD_INDEX = INDEX_NAME

# Least privilege by action, not `grant_read_write_data` (which adds Scan, DeleteItem,
# BatchWriteItem, DescribeTable), and per function: each gets the calls its code makes.
# TransactWriteItems is not an IAM action: each item in a transaction is authorized as its
# PutItem / UpdateItem / DeleteItem (no code path uses a ConditionCheck item).
ENGINE_PLAYER_ACTIONS = (
    # load: the state item and EVENT# markers in one BatchGetItem; REV# items and SEEN#
    # pages by Query.
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    # commit (one transaction) and audit entries.
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    # A reversal deletes the REV# items of the earns it claws back, in its transaction.
    "dynamodb:DeleteItem",
)
DISPATCH_PLAYER_ACTIONS = (
    # The outbox item's status, the player's state (consent, caps, quiet hours).
    "dynamodb:GetItem",
    "dynamodb:Query",
    # Marks outbox items done, writes audit entries and inbox items.
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
CONFIG_TABLE_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
)


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _table(
    scope: Construct,
    id: str,
    *,
    retain_data: bool,
    stream: dynamodb.StreamViewType | None = None,
    time_to_live_attribute: str | None = None,
) -> dynamodb.Table:
    return dynamodb.Table(
        scope,
        id,
        partition_key=_key("pk"),
        sort_key=_key("sk"),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        # AWS-managed key (aws/dynamodb), not a customer key: every use shows in CloudTrail,
        # there is no key policy to get wrong and no monthly key fee, and stream readers need
        # no kms:Decrypt grant. Switch to CUSTOMER_MANAGED when you need your own rotation,
        # cross-account access or crypto-shredding by key.
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        # Player data and config are the product's memory: by default neither `cdk destroy`
        # nor a logical-id change may drop them. retain_data=false is for throw-away stacks.
        deletion_protection=retain_data,
        removal_policy=RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY,
        stream=stream,
        time_to_live_attribute=time_to_live_attribute,
    )


class Tables(Construct):
    """Both tables: on-demand, PITR, encrypted, kept on stack deletion when `retain_data`."""

    def __init__(self, scope: Construct, id: str, *, retain_data: bool) -> None:
        super().__init__(scope, id)
        # The stream carries NEW_IMAGE so dispatch gets the outbox item itself; its
        # event-source filter lets only inserts of OUTBOX_SK_PREFIX items through, and
        # TTL expiries (de-duplication markers) never reach it.
        self.player_table = _table(
            self,
            "PlayerTable",
            retain_data=retain_data,
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            time_to_live_attribute=TTL_ATTRIBUTE,
        )
        # Leaderboard ranking (shared/adapters/board_items.py): keys only, since the sort
        # key itself carries score, time and player; sharded partition keys per board.
        self.player_table.add_global_secondary_index(
            index_name=BOARD_INDEX,
            partition_key=_key("gsi1pk"),
            sort_key=_key("gsi1sk"),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.config_table = _table(self, "ConfigTable", retain_data=retain_data)

    def grant_player_access(self, grantee: iam.IGrantable, actions: Sequence[str]) -> iam.Grant:
        """These actions on player items (state, ledger, outbox, markers), nothing more."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.player_table.table_arn]
        )

    def grant_board_index_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Query the leaderboard index (top N, rank counts)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:Query"],
            resource_arns=[f"{self.player_table.table_arn}/index/{BOARD_INDEX}"],
        )

    def grant_config_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read config items (rules, missions, tiers, templates)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(CONFIG_TABLE_READ_ACTIONS),
            resource_arns=[self.config_table.table_arn],
        )
