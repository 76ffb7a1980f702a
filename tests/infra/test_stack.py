"""The synthesized templates hold what infra/definitions.py defines: properties, not counts."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from infra import definitions, layer
from infra.scripts import rotate_signing_key
from infra.stacks import names
from infra.stacks.service_stack import oidc_grant_values
from tests.infra.conftest import (
    TEST_CONTEXT,
    TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME,
    TEST_INCIDENT_TRACKER_URL,
    Synth,
    Template,
    as_list,
    get_att,
    iam_statements,
    ref,
    resources_of_type,
)

pytestmark = pytest.mark.infra

DATA = names.DATA_STACK
SERVICE = names.SERVICE_STACK

# Least privilege, spelled out here as the specification the stack must meet.
DYNAMODB_READ = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
DYNAMODB_WRITE = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}
# Every function loads the shared layer at cold start; it holds a few small wheels and our package.
LAYER_SIZE_BUDGET_BYTES = 20 * 1024 * 1024
EXPECTED_DYNAMODB_ACTIONS = {
    definitions.Access.READ: DYNAMODB_READ,
    definitions.Access.WRITE: DYNAMODB_WRITE,
    definitions.Access.READ_WRITE: DYNAMODB_READ | DYNAMODB_WRITE,
    # Audit trail: append (Put, the transaction's ConditionCheck) and the chain tip's restricted Query.
    definitions.Access.APPEND: {"dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:Query"},
    definitions.Access.READ_APPEND: DYNAMODB_READ | {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"},
}


# --- helpers over the templates --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def exports(data_template: Template) -> dict[str, Any]:
    """Export name -> exported value of the data stack (what the service stack's Fn::ImportValue reads)."""
    return {
        output["Export"]["Name"]: output["Value"]
        for output in data_template.get("Outputs", {}).values()
        if "Export" in output
    }


def imported(value: Any, exports: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return exports[value["Fn::ImportValue"]]
    return value


def resolved(value: Any, exports: dict[str, Any]) -> Any:
    """`value` with every Fn::ImportValue replaced by what the data stack exports."""
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            return exports[value["Fn::ImportValue"]]
        return {key: resolved(item, exports) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, exports) for item in value]
    return value


def function_ids(synth: Synth) -> dict[str, str]:
    return {
        spec.name: synth.logical_id(SERVICE, f"Functions/{names.construct_name(spec.name)}/Function/Resource")
        for spec in definitions.FUNCTIONS
    }


def alias_ids(template: Template) -> dict[str, str]:
    """Function logical id -> logical id of its alias (the API functions, SnapStart)."""
    return {
        alias["Properties"]["FunctionName"]["Ref"]: logical_id
        for logical_id, alias in resources_of_type(template, "AWS::Lambda::Alias").items()
    }


def role_statements(template: Template, function_id: str) -> list[dict[str, Any]]:
    role_id = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [statement for logical_id, statement in iam_statements(template) if logical_id == role_id]


def table_and_index(resource: Any, exports: dict[str, Any]) -> tuple[str, str | None]:
    """A DynamoDB resource of a policy -> (table logical id, index name or None)."""
    index = None
    if isinstance(resource, dict) and "Fn::Join" in resource:
        head, tail = resource["Fn::Join"][1]
        assert tail.startswith("/index/"), resource
        resource, index = head, tail.removeprefix("/index/")
    value = imported(resource, exports)
    assert set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn", value
    return value["Fn::GetAtt"][0], index


def resource_paths(template: Template) -> dict[str, str]:
    """API Gateway Resource logical id -> full path (`/auth/sessions/{session_id}`)."""
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        properties = resources[logical_id]["Properties"]
        parent = properties["ParentId"]
        prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{properties['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


@pytest.fixture(scope="session")
def methods(service_template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, path) -> Method properties."""
    paths = resource_paths(service_template)
    found = {}
    for method in resources_of_type(service_template, "AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        found[(properties["HttpMethod"], paths[properties["ResourceId"]["Ref"]])] = properties
    return found


def single(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


# --- data stack ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", definitions.TABLES, ids=lambda t: t.logical_id)
def test_table_matches_its_definition(data_template: Template, table: definitions.Table) -> None:
    resource = data_template["Resources"][table.logical_id]
    properties = resource["Properties"]

    def key_schema(partition: definitions.Key, sort: definitions.Key | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
        return schema + ([{"AttributeName": sort.name, "KeyType": "RANGE"}] if sort else [])

    assert resource["Type"] == "AWS::DynamoDB::Table"
    assert properties["KeySchema"] == key_schema(table.partition_key, table.sort_key)
    declared = {table.partition_key, *([table.sort_key] if table.sort_key else [])}
    for index in table.indexes:
        declared |= {index.partition_key, *([index.sort_key] if index.sort_key else [])}
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        ({"AttributeName": key.name, "AttributeType": str(key.type)} for key in declared),
        key=lambda a: a["AttributeName"],
    )
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in table.indexes}
    for index in table.indexes:
        assert indexes[index.name]["KeySchema"] == key_schema(index.partition_key, index.sort_key)
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
    if table.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": table.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in properties
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": get_att(names.DATA_KEY_LOGICAL_ID, "Arn"),
    }
    assert properties["DeletionProtectionEnabled"] is True
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_data_stack_holds_exactly_the_defined_tables(data_template: Template) -> None:
    tables = resources_of_type(data_template, "AWS::DynamoDB::Table")
    assert set(tables) == {table.logical_id for table in definitions.TABLES}


def test_data_key_is_customer_managed_with_rotation(data_template: Template) -> None:
    key = data_template["Resources"][names.DATA_KEY_LOGICAL_ID]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_signing_key_secret_is_empty_and_encrypted_with_the_data_key(data_template: Template) -> None:
    secret = data_template["Resources"][names.SIGNING_KEY_SECRET_LOGICAL_ID]
    properties = secret["Properties"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert properties["Name"] == definitions.SIGNING_KEY_SECRET_NAME
    assert properties["KmsKeyId"] == get_att(names.DATA_KEY_LOGICAL_ID, "Arn")
    # The rotation script writes the value; a generated string would make --if-missing skip it.
    assert "GenerateSecretString" not in properties
    assert "SecretString" not in properties
    assert secret["DeletionPolicy"] == "Retain"


def test_public_keys_parameter_starts_as_an_empty_jwks(data_template: Template) -> None:
    parameter = data_template["Resources"][names.PUBLIC_KEYS_PARAMETER_LOGICAL_ID]["Properties"]
    assert parameter["Name"] == definitions.PUBLIC_KEYS_PARAMETER_NAME
    assert parameter["Type"] == "String"
    assert json.loads(parameter["Value"]) == {"keys": []}


# --- functions -------------------------------------------------------------------------------------------


def test_one_function_per_definition(synth: Synth, service_template: Template) -> None:
    assert set(function_ids(synth).values()) == set(resources_of_type(service_template, "AWS::Lambda::Function"))


# Cold start (issue 12): SnapStart on the API functions, invoked through the alias of a published version.
def test_snapstart_on_the_api_functions_behind_an_alias(synth: Synth, service_template: Template) -> None:
    functions = resources_of_type(service_template, "AWS::Lambda::Function")
    versions = resources_of_type(service_template, "AWS::Lambda::Version")
    aliases = alias_ids(service_template)
    api_functions = {
        spec.name
        for spec in definitions.FUNCTIONS
        if definitions.has_routes(spec) or spec.name == definitions.AUTHORIZER.name
    }
    for spec in definitions.FUNCTIONS:
        function_id = function_ids(synth)[spec.name]
        snap_start = functions[function_id]["Properties"].get("SnapStart")
        if spec.name in api_functions:
            assert snap_start == {"ApplyOn": "PublishedVersions"}, spec.name
            alias = service_template["Resources"][aliases[function_id]]["Properties"]
            assert alias["Name"] == "live"
            version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
            assert versions[version_id]["Properties"]["FunctionName"] == ref(function_id)
        else:
            assert snap_start is None and function_id not in aliases, spec.name
    # API Gateway may invoke the aliases (one permission per function, scoped to the API), not $LATEST.
    permissions = resources_of_type(service_template, "AWS::Lambda::Permission")
    invoked = {p["Properties"]["FunctionName"].get("Ref") for p in permissions.values()}
    assert {aliases[function_ids(synth)[name]] for name in api_functions} <= invoked
    # A version and an alias per API function: the stack stays under CloudFormation's 500 resources.
    assert len(service_template["Resources"]) < 500


@pytest.mark.parametrize("spec", definitions.FUNCTIONS, ids=lambda f: f.name)
def test_function_runtime_layers_tracing_and_logging(
    synth: Synth, service_template: Template, spec: definitions.Function
) -> None:
    resources = service_template["Resources"]
    properties = resources[function_ids(synth)[spec.name]]["Properties"]

    assert properties["Architectures"] == [definitions.LAMBDA_ARCHITECTURE]
    assert properties["Runtime"] == f"python{definitions.LAMBDA_PYTHON_VERSION}"
    assert properties["Handler"] == spec.handler
    assert properties["MemorySize"] == spec.memory_mb
    assert properties["Timeout"] == spec.timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    log_group = resources[properties["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == definitions.LOG_RETENTION_DAYS

    shared_layer = synth.logical_id(SERVICE, "SharedLayer/Layer/Resource")
    powertools_parameter = names.POWERTOOLS_LAYER_PARAMETER.format(
        architecture=definitions.LAMBDA_ARCHITECTURE,
        python_version=definitions.LAMBDA_PYTHON_VERSION,
        version=layer.declared_version("aws-lambda-powertools"),
    )
    (powertools,) = [
        name
        for name, parameter in service_template["Parameters"].items()
        if parameter.get("Default") == powertools_parameter
    ]
    assert service_template["Parameters"][powertools]["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert properties["Layers"] == [ref(powertools), ref(shared_layer)]


@pytest.mark.parametrize("spec", definitions.FUNCTIONS, ids=lambda f: f.name)
def test_function_environment(
    synth: Synth, service_template: Template, exports: dict[str, Any], spec: definitions.Function
) -> None:
    variables = service_template["Resources"][function_ids(synth)[spec.name]]["Properties"]["Environment"]["Variables"]
    table_refs = {table.logical_id: ref(table.logical_id) for table in definitions.TABLES}
    grant_values = {
        "SIGNING_KEY_SECRET_ID": definitions.SIGNING_KEY_SECRET_NAME,
        "PUBLIC_KEYS_PARAMETER": definitions.PUBLIC_KEYS_PARAMETER_NAME,
        "NOTIFICATION_SENDER": names.DEFAULT_NOTIFICATION_SENDER,
        "PROVISIONING_ENDPOINT": names.DEFAULT_PROVISIONING_ENDPOINT,
        "PROVISIONING_CREDENTIALS_SECRET_ID": definitions.PROVISIONING_CREDENTIALS_SECRET_NAME,
        "INCIDENT_BUS_NAME": definitions.INCIDENT_BUS_NAME,
        "VOD_HASH_KEY_SECRET_ID": definitions.VOD_HASH_KEY_SECRET_NAME,
        "INVOICES_BUCKET_NAME": f"bucket:{definitions.INVOICES_BUCKET_PREFIX}",
        "PAYMENT_PROVIDER_ENDPOINT": definitions.PAYMENT_PROVIDER_ENDPOINT,
        "PAYMENT_PROVIDER_API_KEY_SECRET_ID": definitions.PAYMENT_PROVIDER_API_KEY_SECRET_NAME,
        "PAYMENT_WEBHOOK_SECRET_ID": definitions.PAYMENT_WEBHOOK_SECRET_NAME,
        "BILLING_CURSOR_KEY_SECRET_ID": definitions.BILLING_CURSOR_KEY_SECRET_NAME,
        "CAPTCHA_KEY_SECRET_ID": definitions.CAPTCHA_KEY_SECRET_NAME,  # identity (issue 8)
        "CRM_EVENT_BUS_NAME": definitions.CRM_OUTBOUND_BUS_NAME,
        "PROJECTION_DEAD_LETTER_QUEUE_URL": f"sqs-url:{definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME}",
        "ANONYMISATION_SCHEDULE_GROUP": definitions.ANONYMISATION_SCHEDULE_GROUP,
        "ANONYMISATION_SCHEDULER_ROLE_ARN": f"iam-role:{definitions.ANONYMISATION_SCHEDULER_ROLE_NAME}",
        # Digital-identity login and staff sign-in: the CDK context's defaults.
        **oidc_grant_values(),
        "AUDIT_DIGEST_BUCKET_NAME": f"bucket:{definitions.AUDIT_DIGEST_BUCKET_PREFIX}",
        "AUDIT_DIGEST_KEY_ID": get_att(names.AUDIT_DIGEST_KEY_LOGICAL_ID, "Arn"),
        # Commercial SMS: the campaign queue's URL.
        "SMS_CAMPAIGN_QUEUE_URL": f"sqs-url:{definitions.SMS_CAMPAIGN_QUEUE_NAME}",
        # The notice's controller: no `operator_identity` context here, the demonstration values.
        **definitions.DEMO_OPERATOR_IDENTITY,
        # Data-subject rights (issue 10): the export queue's URL, the rights bucket.
        "RIGHTS_EXPORT_QUEUE_URL": f"sqs-url:{definitions.RIGHTS_EXPORT_QUEUE_NAME}",
        "RIGHTS_BUCKET_NAME": f"bucket:{definitions.RIGHTS_BUCKET_PREFIX}",
        # Issue 8: the incident tracker, from the test synth's context (tests/infra/conftest.py).
        "INCIDENT_TRACKER_URL": TEST_INCIDENT_TRACKER_URL,
        "INCIDENT_TRACKER_TOKEN_SECRET_ID": TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME,
    } | {machine.env: f"arn:states:{machine.name}" for machine in definitions.STATE_MACHINES}
    expected = definitions.environment_for(spec, table_refs, grant_values) | names.POWERTOOLS_ENV
    actual = {name: imported(value, exports) for name, value in variables.items()}
    for machine in definitions.STATE_MACHINES:  # Fn::Join of the partition, region, account and name
        if machine.env in actual:
            assert json.dumps(actual[machine.env]).endswith(f':stateMachine:{machine.name}"]]}}'), actual[machine.env]
            actual[machine.env] = f"arn:states:{machine.name}"
    if "INVOICES_BUCKET_NAME" in actual:  # Fn::Join of the prefix, the account and the region
        bucket_name = json.dumps(actual["INVOICES_BUCKET_NAME"])
        assert bucket_name.startswith(f'{{"Fn::Join": ["", ["{definitions.INVOICES_BUCKET_PREFIX}-'), bucket_name
        actual["INVOICES_BUCKET_NAME"] = f"bucket:{definitions.INVOICES_BUCKET_PREFIX}"
    if "AUDIT_DIGEST_BUCKET_NAME" in actual:
        bucket_name = json.dumps(actual["AUDIT_DIGEST_BUCKET_NAME"])
        assert bucket_name.startswith(f'{{"Fn::Join": ["", ["{definitions.AUDIT_DIGEST_BUCKET_PREFIX}-'), bucket_name
        actual["AUDIT_DIGEST_BUCKET_NAME"] = f"bucket:{definitions.AUDIT_DIGEST_BUCKET_PREFIX}"
    if "RIGHTS_BUCKET_NAME" in actual:  # data-subject rights (issue 10)
        bucket_name = json.dumps(actual["RIGHTS_BUCKET_NAME"])
        assert bucket_name.startswith(f'{{"Fn::Join": ["", ["{definitions.RIGHTS_BUCKET_PREFIX}-'), bucket_name
        actual["RIGHTS_BUCKET_NAME"] = f"bucket:{definitions.RIGHTS_BUCKET_PREFIX}"
    # Fn::Join of the region, URL suffix, account and name; of the partition, account and role name.
    for variable, suffix, placeholder in (
        ("PROJECTION_DEAD_LETTER_QUEUE_URL", definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME, "sqs-url"),
        ("ANONYMISATION_SCHEDULER_ROLE_ARN", definitions.ANONYMISATION_SCHEDULER_ROLE_NAME, "iam-role"),
        ("SMS_CAMPAIGN_QUEUE_URL", definitions.SMS_CAMPAIGN_QUEUE_NAME, "sqs-url"),
        ("RIGHTS_EXPORT_QUEUE_URL", definitions.RIGHTS_EXPORT_QUEUE_NAME, "sqs-url"),
    ):
        if variable in actual:
            assert json.dumps(actual[variable]).endswith(f'/{suffix}"]]}}'), actual[variable]
            actual[variable] = f"{placeholder}:{suffix}"
    assert actual == expected


def test_shared_layer_targets_the_functions_runtime(synth: Synth, service_template: Template) -> None:
    properties = service_template["Resources"][synth.logical_id(SERVICE, "SharedLayer/Layer/Resource")]["Properties"]
    assert properties["CompatibleRuntimes"] == [f"python{definitions.LAMBDA_PYTHON_VERSION}"]
    assert properties["CompatibleArchitectures"] == [definitions.LAMBDA_ARCHITECTURE]


def test_shared_layer_content(synth: Synth, service_template: Template) -> None:
    """The asset CDK packaged: our package, our dependencies, nothing the runtime or Powertools provide."""
    properties = service_template["Resources"][synth.logical_id(SERVICE, "SharedLayer/Layer/Resource")]["Properties"]
    asset_hash = properties["Content"]["S3Key"].removesuffix(".zip")
    python_dir = synth.out_dir / f"asset.{asset_hash}" / "python"

    assert (python_dir / "selfcare" / "__init__.py").is_file()
    installed = layer.installed_distributions(python_dir)
    assert not installed & layer.PROVIDED_BY_RUNTIME_OR_MANAGED_LAYER
    declared = {
        layer.normalize(requirement.split("[")[0].split("=")[0]) for requirement in layer.declared_dependencies()
    }
    assert declared - layer.PROVIDED_BY_RUNTIME_OR_MANAGED_LAYER <= installed
    assert not list(python_dir.rglob("*.pyc")), "the layer ships sources only (--no-compile)"
    assert layer.layer_size_bytes(python_dir) < LAYER_SIZE_BUDGET_BYTES


# --- least privilege -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", definitions.FUNCTIONS, ids=lambda f: f.name)
def test_role_grants_dynamodb_only_on_the_functions_tables(
    synth: Synth, service_template: Template, exports: dict[str, Any], spec: definitions.Function
) -> None:
    actions_by_table: dict[str, set[str]] = {}
    indexes_by_table: dict[str, set[str]] = {}
    for statement in role_statements(service_template, function_ids(synth)[spec.name]):
        actions = set(as_list(statement["Action"]))
        if not any(action.startswith("dynamodb:") for action in actions) or statement.get("Sid") in {
            "ReadCustomersStream",
            "ListStreams",
        }:
            continue  # the stream's statements: tests/infra/test_crm_outbox.py
        assert all(action.startswith("dynamodb:") for action in actions), statement
        for resource in as_list(statement["Resource"]):
            table, index = table_and_index(resource, exports)
            actions_by_table.setdefault(table, set()).update(actions)
            if index is not None:
                indexes_by_table.setdefault(table, set()).add(index)

    # Usage statistics (issue 10): a function with a route also counts its answers, UpdateItem on that table only.
    usage = definitions.USAGE_STATS.logical_id
    counting = definitions.counts_usage(spec)
    assert set(actions_by_table) == set(spec.tables) | ({usage} if counting else set())
    if counting:
        own = EXPECTED_DYNAMODB_ACTIONS[spec.tables[usage]] if usage in spec.tables else set()
        assert actions_by_table[usage] == set(own) | {"dynamodb:UpdateItem"}
    by_id = {table.logical_id: table for table in definitions.TABLES}
    for table_id, access in spec.tables.items():
        if counting and table_id == usage:
            continue
        assert actions_by_table[table_id] == EXPECTED_DYNAMODB_ACTIONS[access], table_id
        reads = access in (definitions.Access.READ, definitions.Access.READ_WRITE, definitions.Access.READ_APPEND)
        expected_indexes = {index.name for index in by_id[table_id].indexes} if reads else set()
        assert indexes_by_table.get(table_id, set()) == expected_indexes, table_id


def test_account_function_cannot_touch_sessions_or_credentials(
    synth: Synth, service_template: Template, exports: dict[str, Any]
) -> None:
    statements = role_statements(service_template, function_ids(synth)[definitions.ACCOUNT.name])
    tables = {
        table_and_index(resource, exports)[0]
        for statement in statements
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"])
    }
    assert definitions.SESSIONS.logical_id not in tables
    assert definitions.CREDENTIALS.logical_id not in tables


@pytest.mark.parametrize("spec", definitions.FUNCTIONS, ids=lambda f: f.name)
def test_role_grants_match_the_functions_grants(
    synth: Synth, service_template: Template, exports: dict[str, Any], spec: definitions.Function
) -> None:
    function_id = function_ids(synth)[spec.name]
    statements = role_statements(service_template, function_id)

    def statements_with(action: str) -> list[dict[str, Any]]:
        return [s for s in statements if action in as_list(s["Action"])]

    parameter = statements_with("ssm:GetParameter")
    email = statements_with("ses:SendEmail")
    assert bool(parameter) == ("public_keys" in spec.grants)
    assert bool(email) == ("send_email" in spec.grants)
    # Each secret grant reads its own secret, and nothing else.
    secrets_by_grant = {
        "signing_key": ref(names.SIGNING_KEY_SECRET_LOGICAL_ID),
        "provisioning": ref(names.PROVISIONING_CREDENTIALS_SECRET_LOGICAL_ID),
        "vod_key": ref(names.VOD_HASH_KEY_SECRET_LOGICAL_ID),
        "billing_cursor_key": ref(names.BILLING_CURSOR_KEY_SECRET_LOGICAL_ID),
        "captcha_key": ref(names.CAPTCHA_KEY_SECRET_LOGICAL_ID),  # identity (issue 8)
        "digital_identity": ref(names.DIGITAL_IDENTITY_CLIENT_SECRET_LOGICAL_ID),
        "staff_directory": ref(names.STAFF_DIRECTORY_CLIENT_SECRET_LOGICAL_ID),
    }
    if "payments" in spec.grants:  # two secrets: the provider's API key and the webhook secret
        read_payment_secrets = [s for s in statements if s.get("Sid") == "ReadPaymentSecrets"]
        (payment_statement,) = read_payment_secrets
        assert sorted(map(json.dumps, (imported(r, exports) for r in payment_statement["Resource"]))) == sorted(
            json.dumps(ref(i))
            for i in (names.PAYMENT_PROVIDER_API_KEY_SECRET_LOGICAL_ID, names.PAYMENT_WEBHOOK_SECRET_LOGICAL_ID)
        )
        statements = [s for s in statements if s.get("Sid") != "ReadPaymentSecrets"]
    # Issue 8: the incident tracker's token, the operator's secret referenced by its name (no resource of ours).
    tracker_token = [s for s in statements if s.get("Sid") == "ReadIncidentTrackerToken"]
    assert len(tracker_token) == ("incident_tracker" in spec.grants)
    for statement in tracker_token:
        assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
        (resource,) = as_list(statement["Resource"])
        assert json.dumps(resource).endswith(f':secret:{TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME}-??????"]]}}')
    statements = [s for s in statements if s.get("Sid") != "ReadIncidentTrackerToken"]
    read_secrets = [
        imported(r, exports) for s in statements_with("secretsmanager:GetSecretValue") for r in as_list(s["Resource"])
    ]
    # Every function that appends to the audit trail reads the pseudonym key (lines in targets as keyed hashes).
    pseudonym_key = (
        [ref(names.AUDIT_PSEUDONYM_KEY_SECRET_LOGICAL_ID)] if definitions.appends_to_audit_trail(spec) else []
    )
    assert sorted(map(json.dumps, read_secrets)) == sorted(
        [json.dumps(secret) for grant, secret in secrets_by_grant.items() if grant in spec.grants]
        + [json.dumps(secret) for secret in pseudonym_key]
    )
    # events:PutEvents on the incident bus only; states actions on the two line workflows only.
    put_events = [json.dumps(r) for s in statements_with("events:PutEvents") for r in as_list(s["Resource"])]
    buses = {"events": definitions.INCIDENT_BUS_NAME, "crm_events": definitions.CRM_OUTBOUND_BUS_NAME}
    assert len(put_events) == len([grant for grant in buses if grant in spec.grants])
    for grant, bus in buses.items():
        assert any(r.endswith(f':event-bus/{bus}"]]}}') for r in put_events) == (grant in spec.grants), (spec.name, bus)
    starts = [r for s in statements_with("states:StartExecution") for r in as_list(s["Resource"])]
    describes = [r for s in statements_with("states:DescribeExecution") for r in as_list(s["Resource"])]
    assert bool(starts) == bool(describes) == ("start_workflows" in spec.grants)
    if starts:
        machines = [m.name for m in definitions.STATE_MACHINES]
        assert sorted(json.dumps(r).split(":stateMachine:")[1] for r in starts) == sorted(f'{m}"]]}}' for m in machines)
        assert sorted(json.dumps(r).split(":execution:")[1] for r in describes) == sorted(
            f'{m}:*"]]}}' for m in machines
        )
    if parameter:
        (resource,) = as_list(parameter[0]["Resource"])
        parts = resolved(resource, exports)["Fn::Join"][1]
        assert ":parameter" in parts
        assert parts[-1] == ref(names.PUBLIC_KEYS_PARAMETER_LOGICAL_ID)  # its name, which starts with "/"
    if email:
        assert email[0]["Condition"] == {"StringEquals": {"ses:FromAddress": names.DEFAULT_NOTIFICATION_SENDER}}
        assert "*" not in json.dumps(email[0]["Resource"])

    kms = statements_with("kms:Decrypt")
    assert len(kms) == 1
    assert [imported(r, exports) for r in as_list(kms[0]["Resource"])] == [get_att(names.DATA_KEY_LOGICAL_ID, "Arn")]
    # The usage counter (issue 10) writes too: every function with a route.
    writes = any(access != definitions.Access.READ for access in spec.tables.values()) or definitions.counts_usage(spec)
    assert set(as_list(kms[0]["Action"])) == (
        {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} if writes else {"kms:Decrypt"}
    )

    logs = statements_with("logs:PutLogEvents")
    own_log_group = service_template["Resources"][function_id]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert [s["Resource"] for s in logs] == [get_att(own_log_group, "Arn")]


def test_roles_have_no_managed_policies(service_template: Template) -> None:
    for logical_id, role in resources_of_type(service_template, "AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


# --- API -------------------------------------------------------------------------------------------------


def test_one_method_per_route(methods: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert set(methods) == {(route.method, route.path) for route in definitions.ROUTES}


@pytest.mark.parametrize("route", definitions.ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_method(
    synth: Synth,
    service_template: Template,
    methods: dict[tuple[str, str], dict[str, Any]],
    route: definitions.Route,
) -> None:
    method = methods[(route.method, route.path)]
    authorizer_id, _ = single(service_template, "AWS::ApiGateway::Authorizer")
    validator_id, validator = single(service_template, "AWS::ApiGateway::RequestValidator")

    if route.public:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
    else:
        assert method["AuthorizationType"] == "CUSTOM"
        assert method["AuthorizerId"] == ref(authorizer_id)
    assert method["RequestValidatorId"] == ref(validator_id)
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True

    path_parameters = [s[1:-1] for s in route.path.split("/") if s.startswith("{")]
    assert method.get("RequestParameters", {}) == {f"method.request.path.{p}": True for p in path_parameters}

    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    # The alias of the function's published version (SnapStart), not $LATEST.
    alias_id = alias_ids(service_template)[function_ids(synth)[route.function]]
    assert ref(alias_id) in integration["Uri"]["Fn::Join"][1]


def test_authorizer(synth: Synth, service_template: Template) -> None:
    _, authorizer = single(service_template, "AWS::ApiGateway::Authorizer")
    properties = authorizer["Properties"]
    assert properties["Type"] == "REQUEST"
    assert properties["IdentitySource"] == "method.request.header.Authorization"
    assert properties["AuthorizerResultTtlInSeconds"] == definitions.AUTHORIZER_CACHE_TTL_SECONDS
    authorizer_function = function_ids(synth)[definitions.AUTHORIZER.name]
    assert ref(alias_ids(service_template)[authorizer_function]) in properties["AuthorizerUri"]["Fn::Join"][1]


def test_stage_logging_tracing_and_throttling(service_template: Template) -> None:
    _, stage = single(service_template, "AWS::ApiGateway::Stage")
    properties = stage["Properties"]
    assert properties["StageName"] == names.STAGE_NAME
    assert properties["TracingEnabled"] is True

    access_log = properties["AccessLogSetting"]
    log_group_id = access_log["DestinationArn"]["Fn::GetAtt"][0]
    log_group = service_template["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == definitions.LOG_RETENTION_DAYS
    fields = json.loads(access_log["Format"])
    assert set(fields) == {
        "requestId",
        "httpMethod",
        "resourcePath",
        "status",
        "responseLength",
        "requestTime",
        "integrationLatency",
    }
    assert "body" not in access_log["Format"].lower()
    # No client address in the access logs (issue 9): not even a truncated one.
    assert "sourceIp" not in access_log["Format"] and "ip" not in fields

    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in properties["MethodSettings"]}
    default = settings[("/*", "*")]
    assert default["LoggingLevel"] == "ERROR"
    assert default["DataTraceEnabled"] is False
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == (
        names.THROTTLE_RATE_LIMIT,
        names.THROTTLE_BURST_LIMIT,
    )
    public = {(route.path.replace("/", "~1"), route.method) for route in definitions.ROUTES if route.public}
    assert set(settings) - {("/*", "*")} == {(f"/{path}", method) for path, method in public}
    for key, setting in settings.items():
        assert setting["LoggingLevel"] == "ERROR", key
        assert setting["DataTraceEnabled"] is False, key
        if key != ("/*", "*"):
            assert setting["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], key
            assert setting["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"], key


def test_gateway_responses_use_the_error_shape(service_template: Template) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources_of_type(service_template, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == set(definitions.GATEWAY_RESPONSES)
    for response_type, expected in definitions.GATEWAY_RESPONSES.items():
        response = responses[response_type]
        assert response.get("StatusCode") == (str(expected.status) if expected.status else None), response_type
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body == definitions.error_body(expected.code, expected.message, "$context.requestId"), response_type
        # Security probes: API Gateway's own answers carry the functions' security headers (static values, quoted)
        assert response["ResponseParameters"] == {
            f"gatewayresponse.header.{name}": f"'{value}'"
            for name, value in definitions.GATEWAY_RESPONSE_HEADERS.items()
        }, response_type


def test_waf_protects_the_stage(service_template: Template) -> None:
    acl_id, acl = single(service_template, "AWS::WAFv2::WebACL")
    _, association = single(service_template, "AWS::WAFv2::WebACLAssociation")
    stage_id, _ = single(service_template, "AWS::ApiGateway::Stage")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert association["Properties"]["WebACLArn"] == get_att(acl_id, "Arn")
    assert ref(stage_id) in association["Properties"]["ResourceArn"]["Fn::Join"][1]

    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    for managed in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        assert rules[managed]["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    (rate,) = [rule for rule in rules.values() if "RateBasedStatement" in rule["Statement"]]
    statement = rate["Statement"]["RateBasedStatement"]
    assert rate["Action"] == {"Block": {}}
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == names.WAF_RATE_LIMIT_PER_IP
    prefixes = {
        s["ByteMatchStatement"]["SearchString"] for s in statement["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    for prefix in ("/auth/", "/staff/auth/"):
        assert {prefix, f"/{names.STAGE_NAME}{prefix}"} <= prefixes
    public_paths = [route.path for route in definitions.ROUTES if route.public]
    assert all(any(path.startswith(p) for p in prefixes) for path in public_paths)


def test_api_url_is_an_output(service_template: Template) -> None:
    assert "ApiUrl" in service_template["Outputs"]


# --- rotation script: writes what the data stack's secret and parameter hold -----------------------------


@pytest.fixture
def aws(data_template: Template) -> Any:
    """moto with the secret and the parameter as the data stack creates them (empty secret, empty JWKS)."""
    initial_jwks = data_template["Resources"][names.PUBLIC_KEYS_PARAMETER_LOGICAL_ID]["Properties"]["Value"]
    with mock_aws():
        secretsmanager = boto3.client("secretsmanager", region_name=rotate_signing_key.region())
        ssm = boto3.client("ssm", region_name=rotate_signing_key.region())
        secretsmanager.create_secret(Name=definitions.SIGNING_KEY_SECRET_NAME)
        ssm.put_parameter(Name=definitions.PUBLIC_KEYS_PARAMETER_NAME, Value=initial_jwks, Type="String")
        yield secretsmanager, ssm


def _stored(aws: Any) -> tuple[dict[str, str], dict[str, Any]]:
    secretsmanager, ssm = aws
    secret = json.loads(secretsmanager.get_secret_value(SecretId=definitions.SIGNING_KEY_SECRET_NAME)["SecretString"])
    jwks = json.loads(ssm.get_parameter(Name=definitions.PUBLIC_KEYS_PARAMETER_NAME)["Parameter"]["Value"])
    return secret, jwks


def _verifies(token: str, jwks: dict[str, Any]) -> bool:
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience=definitions.JWT_AUDIENCE)
    return bool(claims["sub"] == "customer-1")


def _sign(secret: dict[str, str]) -> str:
    payload = {"sub": "customer-1", "aud": definitions.JWT_AUDIENCE, "iss": definitions.JWT_ISSUER}
    return jwt.encode(payload, secret["private_key"], algorithm="EdDSA", headers={"kid": secret["kid"]})


def test_first_run_writes_a_key_pair(aws: Any) -> None:
    result = rotate_signing_key.rotate(*aws, if_missing=True)

    secret, jwks = _stored(aws)
    assert result.outcome == rotate_signing_key.Outcome.CREATED
    assert secret["kid"] == result.kid
    assert secret["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    (jwk,) = jwks["keys"]
    assert jwk | {"x": "..."} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "...",
        "kid": result.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert _verifies(_sign(secret), jwks)


def test_rotation_keeps_the_previous_public_key(aws: Any) -> None:
    rotate_signing_key.rotate(*aws)
    old_secret, _ = _stored(aws)
    old_token = _sign(old_secret)

    result = rotate_signing_key.rotate(*aws)

    new_secret, jwks = _stored(aws)
    assert result.outcome == rotate_signing_key.Outcome.ROTATED
    assert result.previous_kid == old_secret["kid"] != new_secret["kid"]
    assert [key["kid"] for key in jwks["keys"]] == [new_secret["kid"], old_secret["kid"]]
    assert _verifies(old_token, jwks)
    assert _verifies(_sign(new_secret), jwks)

    rotate_signing_key.rotate(*aws)
    _, jwks = _stored(aws)
    assert old_secret["kid"] not in [key["kid"] for key in jwks["keys"]], "only one previous key is kept"


def test_if_missing_leaves_an_existing_key_alone(aws: Any) -> None:
    rotate_signing_key.rotate(*aws)
    before = _stored(aws)

    result = rotate_signing_key.rotate(*aws, if_missing=True)

    assert result.outcome == rotate_signing_key.Outcome.SKIPPED
    assert _stored(aws) == before


def test_if_missing_republishes_a_key_the_jwks_lost(aws: Any, data_template: Template) -> None:
    """A stack update that touches the parameter resets it to its initial value; the post-deploy run repairs it."""
    rotate_signing_key.rotate(*aws)
    rotate_signing_key.rotate(*aws)
    secret, jwks_before = _stored(aws)
    _, ssm = aws
    initial = data_template["Resources"][names.PUBLIC_KEYS_PARAMETER_LOGICAL_ID]["Properties"]["Value"]
    ssm.put_parameter(Name=definitions.PUBLIC_KEYS_PARAMETER_NAME, Value=initial, Type="String", Overwrite=True)

    result = rotate_signing_key.rotate(*aws, if_missing=True)

    secret_after, jwks = _stored(aws)
    assert result.outcome == rotate_signing_key.Outcome.REPUBLISHED
    assert secret_after == secret, "no new key"
    assert [key["kid"] for key in jwks["keys"]] == [secret["kid"]]
    assert jwks["keys"][0] == jwks_before["keys"][0]
    assert _verifies(_sign(secret), jwks)


def test_command_line(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert rotate_signing_key.main(["--if-missing"]) == 0
    assert rotate_signing_key.main(["--if-missing"]) == 0
    assert rotate_signing_key.main([]) == 0

    first, second, third = capsys.readouterr().out.splitlines()
    assert first.startswith("signing key created")
    assert second.startswith("signing key present")
    assert third.startswith("signing key rotated")


@pytest.mark.parametrize("module", ["infra.scripts.rotate_signing_key", "infra.layer"])
def test_module_runs_without_cdk(module: str) -> None:
    """The rotation script runs after deploy and the layer builder in the benchmark: neither starts jsii."""
    probe = f"import sys, {module}; print(any(m.split('.')[0] in ('aws_cdk', 'jsii') for m in sys.modules))"
    result = subprocess.run(  # noqa: S603 (our own interpreter and module names)
        [sys.executable, "-c", probe], cwd=definitions.ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_pdf_answers_are_binary(service_template: Template) -> None:
    apis = resources_of_type(service_template, "AWS::ApiGateway::RestApi")
    assert [api["Properties"].get("BinaryMediaTypes") for api in apis.values()] == [
        list(definitions.BINARY_MEDIA_TYPES)
    ]


def test_the_operator_identity_context_names_the_notice_controller() -> None:
    from infra.app import operator_identity

    context = {"name": "Monaco Telecom", "address": "25 bd de Suisse", "privacy_email": "dpo@x.mc"}
    context["postal_contact"] = "DPO"
    assert operator_identity(context) == {
        "OPERATOR_NAME": "Monaco Telecom",
        "OPERATOR_ADDRESS": "25 bd de Suisse",
        "OPERATOR_PRIVACY_EMAIL": "dpo@x.mc",
        "OPERATOR_POSTAL_CONTACT": "DPO",
    }
    assert operator_identity(json.dumps(context)) == operator_identity(context)  # from `cdk -c`: JSON text
    assert operator_identity(None) is None
    with pytest.raises(ValueError, match="postal_contact"):
        operator_identity({k: v for k, v in context.items() if k != "postal_contact"})


def test_the_incident_tracker_context_comes_in_pairs() -> None:
    """Issue 8: the tracker's URL and its token's secret name, both or neither (then the functions answer 503)."""
    from aws_cdk import App

    from infra.app import incident_tracker

    both = App(context=TEST_CONTEXT)
    assert incident_tracker(both) == {
        "incident_tracker_url": TEST_INCIDENT_TRACKER_URL,
        "incident_tracker_token_secret_name": TEST_INCIDENT_TRACKER_TOKEN_SECRET_NAME,
    }
    assert incident_tracker(App()) == {"incident_tracker_url": "", "incident_tracker_token_secret_name": ""}
    with pytest.raises(ValueError, match="both"):
        incident_tracker(App(context={names.INCIDENT_TRACKER_URL_CONTEXT: TEST_INCIDENT_TRACKER_URL}))
    with pytest.raises(ValueError, match="https"):
        incident_tracker(App(context=TEST_CONTEXT | {names.INCIDENT_TRACKER_URL_CONTEXT: "http://incidents"}))


def test_the_incident_grant_adds_no_resource_to_the_service_stack(service_template: Template) -> None:
    """Issue 8: the operator's secret is referenced (Secret.from_secret_name_v2), never created here."""
    secrets = resources_of_type(service_template, "AWS::SecretsManager::Secret")
    assert not [r for r in secrets.values() if "incident" in json.dumps(r).lower()]
