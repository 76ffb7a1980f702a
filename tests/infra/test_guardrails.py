"""Our own rules, as checks on every synthesized template (STYLE.md 12), plus cdk-nag and cfn-lint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from infra import definitions
from infra.definitions import ROOT
from infra.stacks import names
from tests.infra.conftest import (
    BUILD_DIR,
    SYNTH_TIMEOUT_SECONDS,
    Synth,
    Template,
    as_list,
    iam_statements,
    resources_of_type,
    synth_environment,
)

pytestmark = pytest.mark.infra


def all_statements(cdk_templates: dict[str, Template]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (stack, logical_id, statement)
        for stack, template in cdk_templates.items()
        for logical_id, statement in iam_statements(template)
    ]


def test_every_log_group_has_a_retention(cdk_templates: dict[str, Template]) -> None:
    for stack, template in cdk_templates.items():
        for logical_id, log_group in resources_of_type(template, "AWS::Logs::LogGroup").items():
            assert log_group["Properties"].get("RetentionInDays"), f"{stack}/{logical_id} keeps logs forever"


def test_every_function_logs_to_its_own_log_group_with_retention(cdk_templates: dict[str, Template]) -> None:
    for stack, template in cdk_templates.items():
        used: set[str] = set()
        for logical_id, function in resources_of_type(template, "AWS::Lambda::Function").items():
            log_group_ref = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
            assert isinstance(log_group_ref, dict) and "Ref" in log_group_ref, f"{stack}/{logical_id}"
            log_group = template["Resources"][log_group_ref["Ref"]]
            assert log_group["Type"] == "AWS::Logs::LogGroup"
            assert log_group["Properties"].get("RetentionInDays"), f"{stack}/{logical_id}"
            assert log_group_ref["Ref"] not in used, f"{stack}/{logical_id} shares a log group"
            used.add(log_group_ref["Ref"])


def test_tables_holding_logs_expire_their_items() -> None:
    """A table that holds logs (connection log, audit trail) must define the attribute its items expire on."""
    for table in definitions.TABLES:
        if table.holds_logs:
            assert table.ttl_attribute, f"{table.logical_id} holds logs but has no TTL attribute"


@pytest.mark.parametrize(
    "table",
    [table for table in definitions.TABLES if table.holds_logs or table.ttl_attribute],
    ids=lambda table: table.logical_id,
)
def test_ttl_is_enabled_in_the_template(cdk_templates: dict[str, Template], table: definitions.Table) -> None:
    properties = cdk_templates[names.DATA_STACK]["Resources"][table.logical_id]["Properties"]
    assert properties.get("TimeToLiveSpecification") == {
        "AttributeName": table.ttl_attribute,
        "Enabled": True,
    }


def test_no_put_events_on_any_bus(cdk_templates: dict[str, Template]) -> None:
    for stack, logical_id, statement in all_statements(cdk_templates):
        actions = {action.lower() for action in as_list(statement.get("Action", []))}
        if actions & {"events:putevents", "events:*", "*"}:
            assert "*" not in as_list(statement.get("Resource")), f"{stack}/{logical_id}: {statement}"


def test_no_wildcard_actions(cdk_templates: dict[str, Template]) -> None:
    for stack, logical_id, statement in all_statements(cdk_templates):
        assert "NotAction" not in statement, f"{stack}/{logical_id}: {statement}"
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action, f"{stack}/{logical_id} grants {action}"


def test_no_managed_policies(cdk_templates: dict[str, Template]) -> None:
    for stack, template in cdk_templates.items():
        for resource_type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for logical_id, resource in resources_of_type(template, resource_type).items():
                assert not resource["Properties"].get("ManagedPolicyArns"), f"{stack}/{logical_id}"


def test_resource_wildcards_are_limited_to_xray(cdk_templates: dict[str, Template]) -> None:
    """`Resource: "*"` only where AWS allows nothing else (X-Ray; Step Functions' log delivery; SNS SMS; DynamoDB
    ListStreams), each
    acknowledged in cdk-nag."""
    log_delivery = set(names.STATE_MACHINE_LOG_DELIVERY_ACTIONS)
    for stack, logical_id, statement in all_statements(cdk_templates):
        if "*" in as_list(statement.get("Resource")):
            actions = as_list(statement["Action"])
            # SMS to phone numbers (send_sms): SNS has no ARN for them; acknowledged in cdk-nag with that reason.
            if actions == ["sns:Publish"] and statement.get("Sid") == "SendSms":
                continue
            # DynamoDB ListStreams (the outbox relay's stream mapping): no resource-level permission either.
            if actions == ["dynamodb:ListStreams"] and statement.get("Sid") == "ListStreams":
                continue
            assert all(action.startswith("xray:") or action in log_delivery for action in actions), (
                f"{stack}/{logical_id}: {statement}"
            )


def test_cdk_nag_reports_no_unacknowledged_finding(synth: Synth) -> None:
    report = synth.validation_report
    for plugin in report["pluginReports"]:
        assert plugin.get("conclusion") != "failure", json.dumps(plugin, indent=1)[:5000]
        assert not plugin.get("violations"), json.dumps(plugin["violations"], indent=1)[:5000]
    assert "AwsSolutions" not in synth.stderr, synth.stderr[-5000:]


def test_every_acknowledgment_has_a_specific_reason(synth: Synth) -> None:
    acknowledgments = synth.acknowledgments()
    assert acknowledgments, "cdk-nag acknowledgments are recorded in the cloud assembly"
    for (path, rule_id), reason in acknowledgments.items():
        assert rule_id.startswith("AwsSolutions-"), (path, rule_id)
        assert len(reason.split()) >= 8, f"{path} {rule_id}: reason too thin: {reason!r}"
        if rule_id.startswith("AwsSolutions-IAM5"):
            assert rule_id.startswith("AwsSolutions-IAM5["), f"{path}: IAM5 acknowledged per finding, not in bulk"


def test_public_routes_are_the_only_ones_without_authorization(synth: Synth) -> None:
    """APIG4 is acknowledged exactly on the public routes (STYLE.md 12: no blanket acknowledgment)."""
    acknowledged = {path for path, rule_id in synth.acknowledgments() if rule_id == "AwsSolutions-APIG4"}
    expected = {
        f"/{names.SERVICE_STACK}/Api/RestApi/Default{route.path}/{route.method}"
        for route in definitions.ROUTES
        if route.public
    }
    assert acknowledged == expected


@pytest.mark.parametrize("stack", [names.DATA_STACK, names.SERVICE_STACK])
def test_cfn_lint_reports_no_error(synth: Synth, stack: str) -> None:
    matches = lint_file(synth.template_path(stack), config=ManualArgs(regions=[names.DEFAULT_REGION]))
    errors = [match for match in matches if match.rule.id.startswith("E")]
    others = [match for match in matches if not match.rule.id.startswith("E")]
    if others:
        warnings.warn(
            f"cfn-lint on {stack}: {len(others)} warning(s)\n" + "\n".join(str(match) for match in others),
            stacklevel=1,
        )
    assert not errors, "\n".join(str(match) for match in errors)


# The app with one resource cdk-nag rejects (an SQS queue without encryption, DLQ or TLS-only policy).
_APP_WITH_A_VIOLATION = """
import sys
from aws_cdk import Stack, aws_sqs
import infra.app as app_module

build_app = app_module.build_app

def build_app_with_a_violation(outdir=None):
    app = build_app(outdir)
    aws_sqs.CfnQueue(Stack(app, "Violation"), "Queue")
    return app

app_module.build_app = build_app_with_a_violation
sys.exit(app_module.main())
"""


def test_synth_fails_on_an_unacknowledged_finding(synth: Synth) -> None:
    """The guardrail has teeth: one finding without acknowledgment makes `python -m infra.app` exit non-zero."""
    out_dir = BUILD_DIR / "cdk.out-test-violation"
    shutil.rmtree(out_dir, ignore_errors=True)
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", _APP_WITH_A_VIOLATION],
        cwd=ROOT,
        env=synth_environment(out_dir),
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_SECONDS,
        check=False,
    )
    try:
        assert result.returncode != 0, result.stderr[-3000:]
        report = json.loads((out_dir / "validation-report.json").read_text())
        violated = {
            (violation["ruleName"], construct["constructPath"])
            for plugin in report["pluginReports"]
            for violation in plugin["violations"]
            for construct in violation["violatingConstructs"]
        }
        assert {rule for rule, path in violated} >= {"AwsSolutions-SQS3", "AwsSolutions-SQS4"}
        assert all(path.startswith("Violation/") for _, path in violated), violated
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
