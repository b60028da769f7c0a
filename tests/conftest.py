"""Suite-wide safety: fake credentials so nothing can ever reach real AWS."""

import os

for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
# New botocore sends DynamoDB Streams calls to an account-based host moto does not route.
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"


def _input_state_unchanged_by_decide():
    """Every decision any test makes also checks that the state it was given is unchanged.

    A decision copies only what it can change (PlayerState.working_copy shares leaves,
    frozen models and the slices it replaces whole); a slice changed in place without
    being copied would corrupt the caller's state, e.g. the one the engine re-decides
    from after a version conflict. This turns that into a failing test wherever it happens.
    """
    from shared.domain.run import decide as decide_module

    original = decide_module._decide

    def checked(
        state, event, config, now, pools, in_place=False, traced=True, display=True, probe=None
    ):
        if in_place:  # the caller gave the state up (tests/unit/test_decide_in_place.py)
            return original(state, event, config, now, pools, in_place, traced, display, probe)
        before = state.model_dump_json(), {k: list(v) for k, v in state.wallet.reversible.items()}
        decision = original(state, event, config, now, pools, False, traced, display, probe)
        after = state.model_dump_json(), {k: list(v) for k, v in state.wallet.reversible.items()}
        assert after == before, f"decide changed the state it was given ({event.detail_type})"
        return decision

    decide_module._decide = checked


_input_state_unchanged_by_decide()


def _moto_commits_stream_records_of_committed_transactions_only():
    """The local runtime's fix to moto's transaction rollback, for every test (moto_fixes.py)."""
    from shared.local import moto_fixes

    moto_fixes.install()


_moto_commits_stream_records_of_committed_transactions_only()
