"""Suite-wide safety: fake credentials so nothing can ever reach real AWS."""

import os

for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
# New botocore sends DynamoDB Streams calls to an account-based host moto does not route.
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
