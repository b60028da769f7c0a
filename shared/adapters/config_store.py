"""DynamoDB config table: rules, templates and the published config version.

Items: `pk` = "rule" | "template" | "meta", `sk` = item id. Each rule/template keeps its
JSON body, a per-item version and who/when changed it. The engine re-reads items only
when `meta/published.config_version` changes, so a publish takes effect on the next batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from shared.adapters.capacity import CapacityMeter
from shared.adapters.dynamo_errors import translate_throttle
from shared.adapters.dynamo_query import query_pages
from shared.domain.authoring.segments import Segment
from shared.domain.commerce.recommendations import ShopPolicy
from shared.domain.core.config import MessageTemplate, parse_rule
from shared.domain.game.game_config import GAME_KINDS, parse_game_item
from shared.domain.messaging.delivery import DeliveryPolicy
from shared.domain.players.engagement import EngagementPolicy
from shared.domain.players.rg import RgThresholds
from shared.errors import ConflictError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RULE = "rule"
TEMPLATE = "template"
POLICY = "policy"
SEGMENT = "segment"
META_KEY = {"pk": {"S": "meta"}, "sk": {"S": "published"}}
# The console's audit trail and publication records (shared/console/store.py writes them).
AUDIT_PREFIX = "AUDIT#"
PUBLISH_PK = "PUBLISH"
# One small item per console change (no bodies), for the activity feed across items.
ACTIVITY_PK = "ACTIVITY"


def version_key(version: int) -> str:
    """Sort key of a version: zero-padded so versions order numerically."""
    return f"v{version:010d}"


def audited_body(
    query: Callable[..., Any], table: str, kind: str, item_id: str, version: int
) -> str | None:
    """The body an item had at `version`, from its audit trail (`query` is a DynamoDB
    Query call). Entry v holds it as `after`; a version written outside the console (the
    starter set, `engage rules load`) was recorded as `before` by the next console change.
    """
    resp = query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :v AND :next",
        ExpressionAttributeValues={
            ":pk": {"S": f"{AUDIT_PREFIX}{kind}#{item_id}"},
            ":v": {"S": version_key(version)},
            ":next": {"S": version_key(version + 1)},
        },
        ConsistentRead=True,
    )
    for item in resp.get("Items", []):
        entry_version = int(item["version"]["N"])
        if entry_version == version and "after" in item:
            return str(item["after"]["S"])
        if entry_version == version + 1 and "before" in item:
            return str(item["before"]["S"])
    return None


def publication_writes(
    table: str,
    expected: int,
    items: Mapping[str, Mapping[str, int]],
    actor: str,
    at: datetime,
    note: str | None,
) -> list[dict[str, Any]]:
    """The TransactWriteItems of a recorded publish: bump the config version from
    `expected` and record which item versions it makes live (the engine loads exactly
    those; a rollback republishes them)."""
    bump: dict[str, Any] = {
        "TableName": table,
        "Key": META_KEY,
        "UpdateExpression": "ADD config_version :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    if expected == 0:
        bump["ConditionExpression"] = "attribute_not_exists(config_version)"
    else:
        bump["ConditionExpression"] = "config_version = :e"
        bump["ExpressionAttributeValues"][":e"] = {"N": str(expected)}
    version = expected + 1
    record: dict[str, Any] = {
        "pk": {"S": PUBLISH_PK},
        "sk": {"S": version_key(version)},
        "config_version": {"N": str(version)},
        "items": {"S": json.dumps(items, sort_keys=True)},
        "actor": {"S": actor},
        "at": {"S": at.isoformat()},
    }
    if note:
        record["note"] = {"S": note}
    put = {"TableName": table, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}
    return [{"Update": bump}, {"Put": put}]


def _body(text: str, item_id: str) -> dict[str, Any]:
    """A stored body as a JSON object, or a marker the config loader reports as unreadable."""
    try:
        body = json.loads(text, parse_float=Decimal)
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"_unreadable": item_id}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Written as a JSON number (a string would break numeric patterns). Integral values
        # go as int; others as float only when its shortest repr reads back as the same
        # Decimal (true for config values like 0.5 or 12.34), so nothing is rounded.
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(repr(as_float)) == value:
            return as_float
        raise TypeError(f"{value} has more precision than a config number can carry")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class ConfigStore:
    def __init__(
        self, table_name: str, client: DynamoDBClient, meter: CapacityMeter | None = None
    ) -> None:
        self._table = table_name
        self._ddb = client
        self._meter = meter or CapacityMeter()

    def published_version(self) -> int:
        try:
            resp = self._ddb.get_item(
                TableName=self._table, Key=META_KEY, ReturnConsumedCapacity="TOTAL"
            )
        except ClientError as exc:
            raise translate_throttle(exc) from exc
        self._meter.record_read("config_version", resp.get("ConsumedCapacity"))
        item = resp.get("Item")
        return int(item["config_version"]["N"]) if item else 0

    def raw_items(self, kind: str) -> list[dict[str, Any]]:
        """Bodies of all items of a kind, as stored (may be invalid: the caller validates)."""
        return [_body(i.get("body", {}).get("S", ""), i["sk"]["S"]) for i in self._stored(kind)]

    def _stored(self, kind: str) -> list[dict[str, Any]]:
        """Every item of a kind, as DynamoDB returns it."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :k",
            "ExpressionAttributeValues": {":k": {"S": kind}},
            "ReturnConsumedCapacity": "TOTAL",
        }
        items: list[dict[str, Any]] = []
        for resp in query_pages(self._query, **kwargs):
            self._meter.record_read("config_items", resp.get("ConsumedCapacity"))
            items += resp.get("Items", [])
        return items

    # --- what a publication made live ---------------------------------------------------

    def publication_items(self, version: int) -> dict[str, dict[str, int]] | None:
        """{kind: {item_id: item version}} a console publish recorded for `version`, or None
        when none was recorded (config written by `engage seed` or `rules load`)."""
        try:
            resp = self._ddb.get_item(
                TableName=self._table,
                Key={"pk": {"S": PUBLISH_PK}, "sk": {"S": version_key(version)}},
                ConsistentRead=True,
                ReturnConsumedCapacity="TOTAL",
            )
        except ClientError as exc:
            raise translate_throttle(exc) from exc
        self._meter.record_read("publication", resp.get("ConsumedCapacity"))
        item = resp.get("Item")
        if not item:
            return None
        items: dict[str, dict[str, int]] = json.loads(item["items"]["S"])
        return items

    def live_items(self, kind: str, versions: Mapping[str, int]) -> list[dict[str, Any]]:
        """Bodies of the items of `kind` at the versions a publication made live.

        An item saved since (a draft) is read at its published version from the audit
        trail; an item created since is not live yet and is left out. So the engine runs
        exactly what was published, never what was merely saved.
        """
        stored = {item["sk"]["S"]: item for item in self._stored(kind)}
        out: list[dict[str, Any]] = []
        for item_id, version in sorted(versions.items()):
            item = stored.get(item_id)
            if item is not None and int(item.get("version", {}).get("N", "0")) == version:
                text: str | None = item.get("body", {}).get("S", "")
            else:
                text = audited_body(self._query_metered, self._table, kind, item_id, version)
            if text is None:
                out.append({"_unreadable": f"{item_id} v{version}: not in the audit trail"})
            else:
                out.append(_body(text, item_id))
        return out

    def _query_metered(self, **kwargs: Any) -> Any:
        resp = self._query(ReturnConsumedCapacity="TOTAL", **kwargs)
        self._meter.record_read("config_audit", resp.get("ConsumedCapacity"))
        return resp

    def _query(self, **kwargs: Any) -> Any:
        try:
            return self._ddb.query(**kwargs)
        except ClientError as exc:
            raise translate_throttle(exc) from exc

    def put_rule(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None:
        """Validate then store a rule (raises pydantic ValidationError with field paths)."""
        rule = parse_rule(raw)
        self._put(RULE, rule.rule_id, raw, actor=actor, now=now)

    def put_segment(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None:
        segment = Segment.model_validate(raw)
        self._put(SEGMENT, segment.segment_id, raw, actor=actor, now=now)

    def put_policy(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None:
        """Validate then store a policy item (`policy_id` rg, engagement, delivery or shop)."""
        policy_id = raw.get("policy_id")
        models: dict[str, type[BaseModel]] = {
            "rg": RgThresholds,
            "engagement": EngagementPolicy,
            "delivery": DeliveryPolicy,
            "shop": ShopPolicy,
        }
        if policy_id not in models:
            raise ValueError(f"policy_id: must be one of {sorted(models)}")
        models[policy_id].model_validate({k: v for k, v in raw.items() if k != "policy_id"})
        self._put(POLICY, str(policy_id), raw, actor=actor, now=now)

    def put_game(self, kind: str, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None:
        """Validate then store a game item (tier program, badge, mission, wheel, ...)."""
        if kind not in GAME_KINDS:
            raise ValueError(f"kind: must be one of {sorted(GAME_KINDS)}")
        item = parse_game_item(kind, raw)
        self._put(kind, str(getattr(item, GAME_KINDS[kind][1])), raw, actor=actor, now=now)

    def put_template(self, raw: Mapping[str, Any], *, actor: str, now: datetime) -> None:
        tpl = MessageTemplate.model_validate(raw)
        self._put(TEMPLATE, "#".join(tpl.key), raw, actor=actor, now=now)

    def put_raw(self, kind: str, item_id: str, body: str) -> None:
        """Write an unvalidated body: only for tests that prove bad items are survivable."""
        self._ddb.put_item(
            TableName=self._table,
            Item={"pk": {"S": kind}, "sk": {"S": item_id}, "body": {"S": body}},
        )

    def _put(
        self, kind: str, item_id: str, raw: Mapping[str, Any], *, actor: str, now: datetime
    ) -> None:
        body = json.dumps(raw, sort_keys=True, default=_json_default)
        self._ddb.update_item(
            TableName=self._table,
            Key={"pk": {"S": kind}, "sk": {"S": item_id}},
            UpdateExpression="SET body = :b, updated_at = :t, updated_by = :a ADD version :one",
            ExpressionAttributeValues={
                ":b": {"S": body},
                ":t": {"S": now.isoformat()},
                ":a": {"S": actor},
                ":one": {"N": "1"},
            },
        )

    def publish_recorded(
        self, kinds: Iterable[str], *, actor: str, now: datetime, note: str | None = None
    ) -> int:
        """Publish what is stored now AND record it, as a console publish does.

        The starter set is published this way so that its publication is version 1 of the
        console's history: rolling back to it works, and the pending-changes list compares
        against it. Conditional on the version read, so a racing publish fails cleanly.
        """
        expected = self.published_version()
        items = {
            kind: {
                i["sk"]["S"]: int(i.get("version", {}).get("N", "0")) for i in self._stored(kind)
            }
            for kind in kinds
        }
        try:
            self._ddb.transact_write_items(
                TransactItems=publication_writes(  # type: ignore[arg-type]
                    self._table, expected, items, actor, now, note
                )
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise ConflictError("config was published by someone else meanwhile") from exc
            raise translate_throttle(exc) from exc
        return expected + 1

    def publish(self, *, expected: int | None = None) -> int:
        """Bump the published config version; engines pick it up on their next batch."""
        kwargs: dict[str, Any] = {}
        values: dict[str, Any] = {":one": {"N": "1"}}
        if expected == 0:
            kwargs["ConditionExpression"] = "attribute_not_exists(config_version)"
        elif expected is not None:
            kwargs["ConditionExpression"] = "config_version = :e"
            values[":e"] = {"N": str(expected)}
        try:
            resp = self._ddb.update_item(
                TableName=self._table,
                Key=META_KEY,
                UpdateExpression="ADD config_version :one",
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
                **kwargs,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConflictError("config was published by someone else meanwhile") from exc
            raise translate_throttle(exc) from exc
        return int(resp["Attributes"]["config_version"]["N"])
