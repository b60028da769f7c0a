"""A send that fails transiently is retried, and a send that succeeded is never repeated."""

from shared import wiring
from shared.errors import ThrottledError
from shared.local.embedded import sent_emails
from shared.services.deliverers import EmailDeliverer
from shared.wiring import build_dispatch
from tests.e2e.test_invariants import registered


class FlakyThenOk(EmailDeliverer):
    """Throttled on the first attempt, like SES under a burst."""

    def __init__(self, inner):
        self.__dict__.update(inner.__dict__)
        self.attempts = 0

    def deliver(self, item, effect, rendered, now):
        self.attempts += 1
        if self.attempts == 1:
            raise ThrottledError("TooManyRequestsException")
        return super().deliver(item, effect, rendered, now)


def test_a_throttled_email_is_retried_and_sent_exactly_once(started):
    rt = started.runtime
    dispatch = build_dispatch(started.resources.dispatch_settings(), started.clock, rt.clients)
    flaky = FlakyThenOk(dispatch._deliverers["email"])
    dispatch._deliverers["email"] = flaky
    wiring.install(dispatch=dispatch)
    rt.put_events([registered("p-d1")])
    rt.pump()
    assert flaky.attempts == 2
    assert [m["to"] for m in sent_emails(started)] == [["p-d1@example.org"]]
    statuses = [s for i, s, _ in rt.players.outbox("p-d1") if i.effect.kind == "send"]
    assert statuses == ["done"]
    # Delivered again later (stream redelivery, a replay): still one email.
    rt.put_events([registered("p-d1")])
    rt.pump()
    assert len(sent_emails(started)) == 1
