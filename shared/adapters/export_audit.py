"""Who exported which audience, when, and how many rows: kept in the config table.

Items `pk = AUDIT#export`, `sk = <UTC time>#<export id>`: actor, segment, format, rows,
members, exclusions by reason and the SHA-256 of the file written (so a file found later
can be matched to its export). No contact data, hashed or not.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from shared.adapters.dynamo_errors import translate_throttle

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EXPORT_AUDIT_PK = "AUDIT#export"


@dataclass(frozen=True)
class ExportRecord:
    export_id: str
    actor: str
    at: datetime
    segment: str
    format: str
    rows: int
    members: int
    excluded: dict[str, int] = field(default_factory=dict)
    file_sha256: str = ""


class ExportAuditLog:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table = table_name
        self._ddb = client

    def record(self, entry: ExportRecord) -> None:
        body = {**asdict(entry), "at": entry.at.astimezone(UTC).isoformat()}
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": EXPORT_AUDIT_PK},
                    "sk": {"S": f"{body['at']}#{entry.export_id}"},
                    "body": {"S": json.dumps(body, sort_keys=True)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            raise translate_throttle(exc) from exc

    def entries(self) -> list[ExportRecord]:
        """Every export recorded, oldest first."""
        found: list[ExportRecord] = []
        kwargs = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": EXPORT_AUDIT_PK}},
        }
        while True:
            resp = self._ddb.query(**kwargs)  # type: ignore[arg-type]
            for item in resp.get("Items", []):
                body = json.loads(item["body"]["S"])
                body["at"] = datetime.fromisoformat(body["at"])
                found.append(ExportRecord(**body))
            if "LastEvaluatedKey" not in resp:
                return found
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
