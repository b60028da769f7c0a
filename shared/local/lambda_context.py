"""Just enough of the Lambda context object for Powertools, for handlers run locally."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shared.local.provision import REGION


@dataclass
class LambdaContext:
    """Just enough of the Lambda context object for Powertools."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
