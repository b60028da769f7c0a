"""cdk-nag (AWS Solutions pack) on the real app: no finding left unacknowledged."""

from __future__ import annotations

import pytest
from aws_cdk import Stack, Validations
from aws_cdk import aws_iam as iam

from infra.app import STACK_ID, build_app

from .conftest import NAG_PLUGIN, Synth, cdk_json_context, validation_findings

pytestmark = pytest.mark.infra

# Every acknowledgment in the app, by construct path. A new one must be added here on
# purpose (with its reason in the code), so findings are never waved through in bulk.
_ACKNOWLEDGMENTS = {
    "{stack}/Engage/DeliveryDeadLetterQueue": {"AwsSolutions-SQS3"},
    "{stack}/Functions/DispatchDeadLetterQueue": {"AwsSolutions-SQS3"},
    "{stack}/Functions/Engine/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Functions/Engine/Function": {"AwsSolutions-L1"},
    "{stack}/Functions/Dispatch/Role": {
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
        "<AWS::AccountId>:schedule/<SchedulingGroupF9AE2582>/*]",
    },
    "{stack}/Functions/Dispatch/Function": {"AwsSolutions-L1"},
    "{stack}/Leaderboards/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Leaderboards/Function/Function": {"AwsSolutions-L1"},
    "{stack}/Leaderboards/IndexDeadLetterQueue": {"AwsSolutions-SQS3"},
    "{stack}/Leaderboards/Index/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Leaderboards/Index/Function/Function": {"AwsSolutions-L1"},
    # The console's public routes (page, assets, sign-in code exchange); /api/* has the JWT.
    "{stack}/Console/Api/GET--": {"AwsSolutions-APIG4"},
    "{stack}/Console/Api/GET--static--{name}": {"AwsSolutions-APIG4"},
    "{stack}/Console/Api/GET--console-config.json": {"AwsSolutions-APIG4"},
    "{stack}/Console/Api/POST--auth--token": {"AwsSolutions-APIG4"},
    "{stack}/Console/Function/Role": {
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/type=*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/athena-results/*]",
    },
    "{stack}/Console/Function/Function": {"AwsSolutions-L1"},
    # One-click unsubscribe: public by RFC 8058 (the signed token is the authorization), and a
    # signing key that must not rotate under links already sent.
    "{stack}/Unsubscribe/SigningKey": {"AwsSolutions-SMG4"},
    "{stack}/Unsubscribe/Api/GET--unsubscribe": {"AwsSolutions-APIG4"},
    "{stack}/Unsubscribe/Api/POST--unsubscribe": {"AwsSolutions-APIG4"},
    "{stack}/Unsubscribe/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Unsubscribe/Function/Function": {"AwsSolutions-L1"},
    # The player API: its callers' policy (ids in the paths), the function's X-Ray/runtime.
    "{stack}/PlayerApi/CallerPolicy": {
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
        "<AWS::AccountId>:<PlayerApi308E245C>/$default/*/v1/*]"
    },
    "{stack}/PlayerApi/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/PlayerApi/Function/Function": {"AwsSolutions-L1"},
    # SES feedback: the rule target's DLQ, and the function's X-Ray/runtime pins.
    "{stack}/Feedback/DeadLetterQueue": {"AwsSolutions-SQS3"},
    # Player timers' and the leaderboard sweep's dead letters.
    "{stack}/Scheduling/TimerDeadLetterQueue": {"AwsSolutions-SQS3"},
    "{stack}/Feedback/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Feedback/Function/Function": {"AwsSolutions-L1"},
    # The event lake: the access-log bucket itself, the writer's DLQ, Firehose writing its
    # computed keys into the lake bucket, and the two functions' X-Ray/runtime pins.
    "{stack}/Lake/AccessLogs": {"AwsSolutions-S1"},
    "{stack}/Lake/WriterDeadLetterQueue": {"AwsSolutions-SQS3"},
    "{stack}/Lake/FirehoseRole": {"AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/*]"},
    "{stack}/Lake/Transform/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Lake/Transform/Function/Function": {"AwsSolutions-L1"},
    "{stack}/Lake/Writer/Function/Role": {"AwsSolutions-IAM5[Resource::*]"},
    "{stack}/Lake/Writer/Function/Function": {"AwsSolutions-L1"},
    # Backtests at scale: the function's run files, the state machine's generated Athena,
    # Lambda and Distributed Map grants, and the function's X-Ray/runtime pins.
    "{stack}/Backtest/Replay/Function/Role": {
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/backtests/*]",
    },
    "{stack}/Backtest/Replay/Function/Function": {"AwsSolutions-L1"},
    "{stack}/Backtest/StateMachine/Role": {
        "AwsSolutions-IAM5[Resource::<BacktestReplayFunction1A9D03BB.Arn>:*]",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/type=events/*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/backtests/*]",
        "AwsSolutions-IAM5[Resource::<LakeBucketB1D32E10.Arn>/athena-results/*]",
    },
    "{stack}/Backtest/StateMachine/DistributedMapPolicy": {
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
        'execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BacktestStateMachine12B38013"}]}]}:*]',
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
        'execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BacktestStateMachine12B38013"}]}]}'
        "/*:*]",
    },
}


def expected_acknowledgments(stack: str) -> dict[str, set[str]]:
    return {path.replace("{stack}", stack): rules for path, rules in _ACKNOWLEDGMENTS.items()}


def acknowledgments(app) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                rules = found.setdefault(construct.node.path, {})
                for key, reason in entry.data.items():
                    rules[key.removeprefix("Annotation::")] = reason
    return found


def test_synth_reports_no_unacknowledged_aws_solutions_finding(synth: Synth):
    findings = validation_findings(synth.assembly_dir, NAG_PLUGIN)

    assert findings == [], "unacknowledged cdk-nag findings:\n" + "\n".join(findings)


def test_synth_reports_no_error_from_any_validation_plugin(synth: Synth):
    errors = [f for f in validation_findings(synth.assembly_dir) if f.startswith("error")]

    assert errors == [], "\n".join(errors)


def test_findings_are_acknowledged_per_resource_each_with_a_specific_reason(synth: Synth):
    found = acknowledgments(synth.app)

    assert {path: set(rules) for path, rules in found.items()} == expected_acknowledgments(
        synth.stack_id
    )
    reasons = [reason for rules in found.values() for reason in rules.values()]
    assert all(len(reason) >= 60 for reason in reasons), reasons


def test_an_unacknowledged_finding_fails_the_synth(tmp_path):
    # Given the real app as `cdk synth` builds it (cdk.json context, nag enabled)
    app = build_app(cdk_json_context(), outdir=str(tmp_path))
    stack = Stack.of(app.node.find_child(STACK_ID))
    # When a resource with a finding nobody acknowledged is added
    role = iam.Role(stack, "Careless", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:*"], resources=["*"]))

    # Then synth fails and names the finding and the resource
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        app.synth()
    assert "AwsSolutions-IAM5" in str(failure.value)
    assert f"{STACK_ID}/Careless/DefaultPolicy/Resource" in str(failure.value)
