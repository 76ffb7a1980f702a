"""The local stack's emulation of what moto lacks (infra/local/emulation.py), in-process on moto.

These pin the private moto API the emulation relies on (moto 5.2.5): an upgrade that moves it fails here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import definitions as d
from infra.local import emulation
from infra.local.moto_server import configure_moto, point_environment_at, start_moto
from infra.local.resources import create_resources

REGION = "eu-west-3"
ROLE_ARN = "arn:aws:iam::123456789012:role/local-lambda"


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def runner() -> Iterator[None]:
    yield
    emulation.uninstall_lambda_task_runner()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    raise RuntimeError('not run here')\n")
    return buffer.getvalue()


def _function(session: boto3.Session, name: str) -> str:
    iam = session.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="local-lambda", AssumeRolePolicyDocument="{}")
    created = session.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ROLE_ARN,
        Handler="handler.lambda_handler",
        Code={"ZipFile": _zip()},
        Timeout=7,
    )
    return str(created["FunctionArn"])


def _run(session: boto3.Session, definition: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    sfn = session.client("stepfunctions")
    machine = sfn.create_state_machine(name="tiny", definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=f"run-{time.monotonic_ns()}", input=json.dumps(payload)
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError("the execution did not finish")


def test_a_step_functions_lambda_task_runs_the_in_process_handler(aws: boto3.Session, runner: None) -> None:
    # Given a Lambda function on moto whose code would fail, and an in-process handler for its name
    calls: list[tuple[dict[str, Any], Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append((event, context))
        return {"doubled": event["n"] * 2, "function": context.function_name}

    arn = _function(aws, "selfcare-double")
    emulation.install_lambda_task_runner({"selfcare-double": handler})
    definition = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Task", "Resource": arn, "End": True}},
    }

    # When a state machine calls it as a Lambda task
    described = _run(aws, definition, {"n": 21})

    # Then the in-process handler ran with the task's input and a Lambda context, and its result is the output
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"doubled": 42, "function": "selfcare-double"}
    event, context = calls[0]
    assert event == {"n": 21}
    assert context.invoked_function_arn == arn
    assert 0 < context.get_remaining_time_in_millis() <= 7000


def test_the_lambda_invoke_integration_and_a_handler_error(aws: boto3.Session, runner: None) -> None:
    # Given a handler that fails, behind the optimised lambda:invoke integration with a Catch
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise ValueError("boom")

    _function(aws, "selfcare-fails")
    emulation.install_lambda_task_runner({"selfcare-fails": handler})
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "selfcare-fails", "Payload.$": "$"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught", "ResultPath": "$.error"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }

    # When it runs
    described = _run(aws, definition, {"n": 1})

    # Then the error is the handler's, as Lambda reports it
    assert described["status"] == "SUCCEEDED", described
    caught = json.loads(described["output"])["error"]
    assert json.loads(caught["Cause"])["errorType"] == "ValueError"


def test_in_server_mode_as_the_local_stack_runs_it(runner: None) -> None:
    # Given moto's server in this process, configured and pointed at as `python -m infra.local` does
    saved = dict(os.environ)
    moto = start_moto(port=0)
    try:
        point_environment_at(moto)
        configure_moto(moto)  # without it, moto would answer the input as the output without running anything
        session = boto3.Session(region_name=REGION)
        arn = _function(session, "selfcare-server-mode")
        emulation.install_lambda_task_runner({"selfcare-server-mode": lambda event, context: {"seen": event["n"]}})
        definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": arn, "End": True}}}

        # When a state machine calls the function (moto's interpreter goes through localhost:MOTO_PORT)
        described = _run(session, definition, {"n": 7})

        # Then the in-process handler answered
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"seen": 7}
    finally:
        configure_moto(moto, {"stepfunctions": {"execute_state_machine": False}})
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_direct_invoke_and_uninstall(aws: boto3.Session) -> None:
    # Given the runner installed for one function
    _function(aws, "selfcare-echo")
    emulation.install_lambda_task_runner({"selfcare-echo": lambda event, context: {"got": event}})
    lam = aws.client("lambda")

    # When the function is invoked directly, Then the handler answers
    response = lam.invoke(FunctionName="selfcare-echo", Payload=json.dumps({"a": 1}))
    assert json.loads(response["Payload"].read()) == {"got": {"a": 1}}
    assert "FunctionError" not in response

    # And once uninstalled, moto's own method is back
    emulation.uninstall_lambda_task_runner()
    from moto.awslambda.models import LambdaFunction

    assert LambdaFunction._invoke_lambda is not emulation._invoke_in_process


def test_reap_expired_once_deletes_only_expired_items_of_tables_with_ttl(aws: boto3.Session) -> None:
    # Given the local tables, each with an expired item, a live one and one without expiry
    resources = create_resources(aws)
    client = aws.client("dynamodb")
    now = int(time.time())
    with_ttl = [t for t in d.TABLES if t.ttl_attribute]
    assert with_ttl, "no table has a TTL attribute"

    def item(table: d.Table, suffix: str, expires_at: int | None) -> dict[str, Any]:
        raw: dict[str, Any] = {table.partition_key.name: {"S": f"item-{suffix}"}}
        if table.sort_key:
            raw[table.sort_key.name] = {"S": "sk"}
        for index in table.indexes:
            raw.setdefault(index.partition_key.name, {"S": "p"})
            if index.sort_key:
                raw.setdefault(index.sort_key.name, {"S": "s"})
        if expires_at is not None and table.ttl_attribute:
            raw[table.ttl_attribute] = {"N": str(expires_at)}
        return raw

    for table in d.TABLES:
        name = resources.table_names[table.logical_id]
        client.put_item(TableName=name, Item=item(table, "expired", now - 10))
        client.put_item(TableName=name, Item=item(table, "now", now))
        client.put_item(TableName=name, Item=item(table, "live", now + 3600))
        client.put_item(TableName=name, Item=item(table, "forever", None))

    # When the reaper sweeps once
    deleted = emulation.reap_expired_once(client, resources.table_names, now=now)

    # Then the expired items (expiry <= now) of the tables with a TTL are gone, and nothing else
    assert deleted == 2 * len(with_ttl)
    for table in d.TABLES:
        name = resources.table_names[table.logical_id]
        left = {i[table.partition_key.name]["S"] for i in client.scan(TableName=name)["Items"]}
        if table.ttl_attribute:
            assert left == {"item-live", "item-forever"}, table.logical_id
        else:
            assert left == {"item-expired", "item-now", "item-live", "item-forever"}, table.logical_id
    assert emulation.reap_expired_once(client, resources.table_names, now=now) == 0


def test_the_reaper_thread_sweeps_until_stopped(aws: boto3.Session) -> None:
    resources = create_resources(aws)
    client = aws.client("dynamodb")
    sessions = resources.table_names[d.SESSIONS.logical_id]
    client.put_item(TableName=sessions, Item={"pk": {"S": "old"}, "expires_at": {"N": "1"}})

    reaper = emulation.TtlReaper(client, resources.table_names, interval_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 5
        while reaper.deleted == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        reaper.stop()

    assert reaper.deleted == 1
    assert client.scan(TableName=sessions)["Items"] == []


def test_outbox_lists_messages_newest_first_with_their_time(aws: boto3.Session) -> None:
    emulation.install_outbox_timestamps()
    ses = aws.client("sesv2")
    aws.client("ses").verify_email_identity(EmailAddress="no-reply@selfcare.local")
    for number, to in enumerate(["a@example.mc", "b@example.mc", "a@example.mc"]):
        ses.send_email(
            FromEmailAddress="no-reply@selfcare.local",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": f"s{number}"}, "Body": {"Text": {"Data": f"body {number}"}}}},
        )

    messages = emulation.outbox()
    assert [m["subject"] for m in messages] == ["s2", "s1", "s0"]
    assert messages[0]["to"] == ["a@example.mc"] and messages[0]["body"] == "body 2" and messages[0]["sent_at"]
    assert [m["subject"] for m in emulation.outbox(to="A@example.mc")] == ["s2", "s0"]


def test_bounded_memory_transactions_roll_back_the_touched_items_without_copying_tables(aws: boto3.Session) -> None:
    # Given the local stack's cheaper transaction backup, and a table with a stream and an item
    from moto.dynamodb.models.table import Table

    emulation.install_bounded_memory()
    try:
        client = aws.client("dynamodb")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.put_item(TableName="t", Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
        import gc

        gc.collect()
        tables_before = sum(isinstance(o, Table) for o in gc.get_objects())
        streams = emulation.streams_client(aws)
        arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

        def records() -> list[str]:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
            return [r["eventName"] for r in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]]

        # When a transaction updates the item, puts a new one, then fails a condition
        with pytest.raises(client.exceptions.TransactionCanceledException):
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "kept"}, "v": {"N": "2"}}}},
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "t",
                            "Key": {"pk": {"S": "absent"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            )

        # Then nothing of it remains: the item as it was, no new item, no stream record of the cancelled writes
        assert client.get_item(TableName="t", Key={"pk": {"S": "kept"}})["Item"]["v"] == {"N": "1"}
        assert "Item" not in client.get_item(TableName="t", Key={"pk": {"S": "new"}})
        assert records() == ["INSERT"]
        # and a successful transaction still applies, with its records
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}}}}])
        assert "Item" in client.get_item(TableName="t", Key={"pk": {"S": "new"}})
        assert records() == ["INSERT", "INSERT"]
        gc.collect()
        assert sum(isinstance(o, Table) for o in gc.get_objects()) == tables_before, "no table was copied"
        # moto's iterators handed out so far are forgotten, but the one kept
        assert emulation.prune_stream_iterators(set()) > 0
    finally:
        emulation.uninstall_bounded_memory()


def _hammer(endpoint: str, rounds: int = 40, writers: int = 3, readers: int = 3) -> list[str]:
    """Writers run transactions on one item while readers read it with a projection and scan the table, all
    against moto's threaded server, without botocore's retries (which would hide a 500): the errors seen."""
    import threading

    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=writers + readers)
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, config=config)
    table = f"hammered-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=table, Item={"pk": {"S": "item"}} | {f"f{i}": {"S": "x" * 20} for i in range(400)})
    errors: list[str] = []

    def write(n: int) -> None:
        for i in range(rounds):
            update = {
                "TableName": table,
                "Key": {"pk": {"S": "item"}},
                "UpdateExpression": f"SET a{n}_{i} = :v" + (f" REMOVE a{n}_{i - 1}" if i else ""),
                "ExpressionAttributeValues": {":v": {"S": "x" * 50}},
            }
            try:
                client.transact_write_items(TransactItems=[{"Update": update}])
            except Exception as error:  # noqa: BLE001 - counted
                errors.append(repr(error))

    def read() -> None:
        for _ in range(rounds):
            try:
                client.get_item(TableName=table, Key={"pk": {"S": "item"}}, ProjectionExpression="pk, a0_1")
                client.scan(TableName=table)
            except Exception as error:  # noqa: BLE001 - counted
                errors.append(repr(error))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads += [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [e for e in errors if "TransactionConflict" not in e]


def test_dynamodb_requests_in_server_mode_never_meet_each_other_half_done() -> None:
    # Given moto's threaded server with the local stack's serialisation (section 9)
    emulation.install_serialized_dynamodb()
    moto = start_moto(port=0)
    try:
        # When transactions rewrite an item while other requests read and scan it, concurrently
        errors = _hammer(moto.endpoint_url)
    finally:
        moto.stop()
        emulation.uninstall_serialized_dynamodb()
    # Then no request failed (without the hook, moto answered some with RuntimeError, dictionary changed size during
    # iteration: 1 to 3 of ~360 requests in runs on this machine, none in others: a race, hence not a test of its own)
    assert errors == []
