"""What the local stack supplies that moto lacks: the one place, each item with its reason.

Production code never imports this module; only the local stack (`python -m infra.local`) and the
tests of this module do. Everything here runs in the local stack's own process, next to moto's
server thread, and talks to moto either through boto3 (the same endpoint as the handlers) or, for
the two hooks that must reach inside moto, through moto's private API, pinned with moto 5.2.5
(pyproject.toml) and covered by tests/e2e/test_emulation.py so an upgrade that moves it fails there.

1. DynamoDB TTL deletion (`TtlReaper`, `reap_expired_once`).
   moto stores a table's TTL setting but never deletes an expired item. A background thread scans,
   every `interval_seconds` (60 by default, `--ttl-interval` of `python -m infra.local`), each table
   of `definitions.TABLES` that has a `ttl_attribute`, and deletes the items whose attribute (epoch
   seconds, a number) is <= now, under a condition that it still is, so a concurrent update that
   pushed the expiry back wins. Production reads already ignore expired items (DynamoDB deletes
   them up to a few days late), so this changes no answer: it keeps the local tables as tidy as
   DynamoDB's TTL keeps the real ones. Deleted sooner than DynamoDB would: do not rely on the delay.

2. Lambda tasks run the in-process Python handler (`install_lambda_task_runner`).
   moto invokes a Lambda function in Docker (no Docker engine here), and with
   `{"lambda": {"use_docker": False}}` it swaps in a backend that only echoes the payload, so a
   Step Functions `Task` on a Lambda function (or `lambda:Invoke`) would never run our code. Every
   invoke on moto's default (Docker) Lambda backend goes through the private method
   `moto.awslambda.models.LambdaFunction._invoke_lambda(self, event=None) -> (result_json,
   errored, logs)`; the runner replaces it and calls `functions/<name>/handler.py:lambda_handler`
   of the function whose name matches, in this process (its environment is the local stack's).
   Keep `use_docker` at its default (True): the echo backend never reaches `_invoke_lambda`.
   Functions not in the mapping keep moto's behaviour. No state machine exists yet in
   infra/definitions.py; this is the hook the workflows will use.

3. EventBridge -> Lambda delivery and EventBridge Scheduler (`create_crm_delivery_queue`,
   `deliver_crm_events`, `CrmDelivery`, `fire_due_schedules`).
   `put_events` to a rule whose target is a Lambda function raises NotImplementedError on moto, and
   schedules never fire. On the local stack only, the projection rule of the CRM inbound bus (same
   name and event pattern as the CDK stack, from infra/definitions.py) targets an SQS queue,
   `selfcare-local-crm-delivery`, instead of the projection function: moto delivers SQS targets.
   `deliver_crm_events` drains that queue into the projection's `lambda_handler`, in this process,
   with the very event EventBridge would pass to Lambda (the queue's message body is the event);
   a message is deleted once the handler returned, and left for the next drain when it raised (as
   Lambda retries). `CrmDelivery` is a daemon thread doing that every `interval_seconds` for
   `python -m infra.local`; the demo seed drains once, synchronously, after publishing its events.
   `fire_due_schedules` is the scheduler's stand-in: it invokes the target handler with each
   schedule of a group whose `at(...)` time is due, then deletes the schedule (ActionAfterCompletion
   DELETE); nothing calls it on its own (anonymisation is due 5 years after a termination): tests
   and operators call it with a chosen `now`. Production code never depends on any of this.

4. SES messages carry no send time on moto (`install_outbox_timestamps`).
   moto keeps every message sent (`ses_backends[account][region].sent_messages`, which SES v2 also
   feeds), without a date. The local stack's outbox (GET /_local/outbox) shows `sent_at`: this
   hook stamps each message moto records with the time it was sent. `outbox()` reads them back.

5. DynamoDB stream -> Lambda (`StreamRelay`, `matches_filter`, `streams_client`, `CrmListener`).
   moto keeps a table's stream (GetRecords works) but never invokes a function from an event source
   mapping. `StreamRelay` reads the customers table's stream from its start, keeps the records that
   match the mapping's filter (definitions.CRM_OUTBOX_FILTER: the same pattern the CDK mapping gets)
   and calls the `crm_outbox` handler with batches, resuming from the first record it reports in
   `batchItemFailures` on the next poll (a daemon thread every 0.5 s for `python -m infra.local`;
   tests call `poll_once()`). With botocore >= 1.44 a `dynamodbstreams` client calls an account-id
   endpoint that moto's in-process mock does not route: `streams_client` disables that endpoint mode.
   `CrmListener` plays the CRM: a rule on the outbound CRM bus to a local queue, drained into memory
   for GET /_local/crm-events.

6. Memory on long runs (`install_bounded_memory`, `prune_stream_iterators`).
   moto backs up every table a transaction touches with a deep copy of the whole table (the copies were
   kept: ~0.6 MiB more per request, measured) and keeps every shard iterator and SES message: the
   transaction backup is replaced by one of the touched items, the relay forgets iterators it no longer
   uses, SES keeps its newest SENT_MESSAGES_KEPT messages.
7. Scheduled functions (`PeriodicInvoker`): EventBridge schedules never fire on moto; the hourly audit digest
   runs in a daemon thread (first right away).

8. Commercial SMS: SQS -> Lambda and SNS -> Lambda (`deliver_sms_batches`, `SmsCampaignDelivery`,
   `inbound_sms_event`, `inject_inbound_sms`).
   moto keeps the campaign queue's messages but never invokes the worker from it (no event source mapping),
   and delivers nothing from the inbound SMS topic to a Lambda subscriber. `deliver_sms_batches` receives what
   the campaign queue holds and calls the `sms_campaigns` handler with SQS events of one record (the mapping's
   batch size, definitions.SMS_CAMPAIGN_BATCH_SIZE) and deletes a message once handled. It receives with a
   visibility timeout of 0, so that a message the handler reported in `batchItemFailures` is retried by the next
   drain at once (SQS would redeliver it after the queue's visibility timeout), unless the handler changed its
   visibility itself (a campaign paused by the night window: ChangeMessageVisibility until the morning), which
   then holds as on SQS; one drain stops at its first failure. `SmsCampaignDelivery` does it every
   `interval_seconds` in a daemon thread for `python -m infra.local`. `inject_inbound_sms` builds the SNS
   event that the two-way channel's topic would deliver (the message: originationNumber, destinationNumber,
   messageBody) and calls the `sms_inbound` handler: the local route POST /_local/sms/inbound uses it.
   Data-subject rights (issue 10) reuse the same two for the export queue -> the `rights_export` worker
   (`function=d.RIGHTS_EXPORT`): `python -m infra.local` runs a second `SmsCampaignDelivery` on that queue.

9. DynamoDB requests one at a time (`install_serialized_dynamodb`).
   moto's server answers each request in its own thread, and its DynamoDB backend is not thread-safe: a
   transaction that changes an item while another request projects or scans it fails with
   `RuntimeError: dictionary changed size during iteration` (a 500 that botocore retries, and a traceback on the
   console; a CI run met it while a line workflow wrote and the client polled). DynamoDB serialises nothing
   either, but each of its requests is atomic: the hook runs moto's DynamoDB and DynamoDB Streams request
   handlers under one lock, which gives the same guarantee. Neither handler calls another service, so the lock
   never waits on a request of its own. moto 5.2.5's `DynamoHandler.call_action` and
   `DynamoDBStreamsHandler.call_action`: covered by tests/e2e/test_emulation.py.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from infra import definitions as d
from infra.local.resources import table_name

logger = logging.getLogger("selfcare.local.emulation")

DEFAULT_TTL_INTERVAL_SECONDS = 60.0


# 1. DynamoDB TTL ---------------------------------------------------------------------------------
def ttl_tables(table_names: Mapping[str, str] | None = None) -> list[tuple[str, str, list[str]]]:
    """(table name, TTL attribute, key attribute names) of every table that has a TTL attribute.

    `table_names` maps Table.logical_id to the table's name (LocalResources.table_names); the
    default is the local stack's naming.
    """
    found = []
    for table in d.TABLES:
        if not table.ttl_attribute:
            continue
        name = table_names[table.logical_id] if table_names is not None else table_name(table)
        keys = [table.partition_key.name] + ([table.sort_key.name] if table.sort_key else [])
        found.append((name, table.ttl_attribute, keys))
    return found


def reap_expired_once(
    dynamodb_client: Any, table_names: Mapping[str, str] | None = None, now: float | None = None
) -> int:
    """Delete every item whose TTL attribute is <= now, in every table with a TTL; how many were deleted."""
    moment = int(time.time() if now is None else now)
    deleted = 0
    for name, attribute, keys in ttl_tables(table_names):
        names = {"#ttl": attribute} | {f"#k{i}": key for i, key in enumerate(keys)}
        values = {":now": {"N": str(moment)}}
        paginator = dynamodb_client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=name,
            FilterExpression="#ttl <= :now",
            ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        for page in pages:
            for item in page.get("Items", []):
                try:
                    dynamodb_client.delete_item(
                        TableName=name,
                        Key=item,
                        ConditionExpression="#ttl <= :now",
                        ExpressionAttributeNames={"#ttl": attribute},
                        ExpressionAttributeValues=values,
                    )
                    deleted += 1
                except dynamodb_client.exceptions.ConditionalCheckFailedException:
                    pass  # updated meanwhile: its new expiry stands
    return deleted


class TtlReaper:
    """A daemon thread calling reap_expired_once every `interval_seconds` until stop()."""

    def __init__(
        self,
        dynamodb_client: Any,
        table_names: Mapping[str, str] | None = None,
        interval_seconds: float = DEFAULT_TTL_INTERVAL_SECONDS,
    ) -> None:
        self._client = dynamodb_client
        self._table_names = dict(table_names) if table_names is not None else None
        self.interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttl-reaper", daemon=True)
        self.deleted = 0

    def start(self) -> TtlReaper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                self.deleted += reap_expired_once(self._client, self._table_names)
            except Exception as error:  # noqa: BLE001 - a failed sweep must not end the thread
                logger.warning("TTL sweep failed: %s", type(error).__name__)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


# 2. Lambda tasks ---------------------------------------------------------------------------------
Handler = Callable[[Any, Any], Any]


@dataclass
class _InvokeContext:
    """The Lambda context object a handler receives (the attributes Powertools reads)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_runner_lock = threading.Lock()
_original_invoke: Callable[..., tuple[str, bool, str]] | None = None
_handlers: dict[str, Handler] = {}


def _as_handler(target: Handler | ModuleType) -> Handler:
    if isinstance(target, ModuleType):
        handler: Handler = target.lambda_handler
        return handler
    return target


def install_lambda_task_runner(handlers_by_function_name: Mapping[str, Handler | ModuleType]) -> Callable[[], None]:
    """Run these in-process handlers when moto invokes the Lambda functions of these names.

    `handlers_by_function_name` maps a Lambda function name (as created on moto) to its
    `lambda_handler(event, context)`, or to the handler module. Installing again adds or replaces
    names. Returns a function that removes the runner (and restores moto's method) altogether.
    """
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    with _runner_lock:
        _handlers.update({name: _as_handler(target) for name, target in handlers_by_function_name.items()})
        if _original_invoke is None:
            _original_invoke = LambdaFunction._invoke_lambda
            LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
    return uninstall_lambda_task_runner


def uninstall_lambda_task_runner() -> None:
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    with _runner_lock:
        _handlers.clear()
        if _original_invoke is not None:
            LambdaFunction._invoke_lambda = _original_invoke  # type: ignore[method-assign]
            _original_invoke = None


def _invoke_in_process(self: Any, event: Any = None) -> tuple[str, bool, str]:
    """Replacement of LambdaFunction._invoke_lambda: same arguments, same (result, errored, logs)."""
    handler = _handlers.get(self.function_name)
    if handler is None:
        assert _original_invoke is not None
        return _original_invoke(self, event)
    if event is None:
        event = {}
    context = _InvokeContext(
        function_name=self.function_name,
        memory_limit_in_mb=int(self.memory_size),
        invoked_function_arn=self.function_arn,
        timeout_seconds=int(self.timeout),
    )
    started = time.monotonic()
    try:
        result = handler(event, context)
        payload, errored = json.dumps(result, default=str), False
    except Exception as error:  # noqa: BLE001 - Lambda reports a handler's exception as a function error
        payload = json.dumps(
            {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
        )
        errored = True
    logs = (
        f"START RequestId: {context.aws_request_id}\n"
        f"END RequestId: {context.aws_request_id}\n"
        f"REPORT RequestId: {context.aws_request_id}\tDuration: {(time.monotonic() - started) * 1000:.2f} ms"
    )
    return payload, errored, logs


# 3. EventBridge -> Lambda delivery, EventBridge Scheduler ---------------------------------------------
CRM_DELIVERY_QUEUE_NAME = "selfcare-local-crm-delivery"


def create_crm_delivery_queue(session: Any) -> tuple[str, str]:
    """The local stand-in for the projection rule's Lambda target: (queue URL, queue ARN)."""
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=CRM_DELIVERY_QUEUE_NAME)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def _projection_context(function_arn: str) -> _InvokeContext:
    function = d.PROJECTION
    return _InvokeContext(
        function_name=f"{d.SERVICE}-{function.name}",
        memory_limit_in_mb=function.memory_mb,
        invoked_function_arn=function_arn,
        timeout_seconds=function.timeout_seconds,
    )


def local_projection_arn(region: str = "eu-west-3", account: str = "123456789012") -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{d.SERVICE}-{d.PROJECTION.name}"


def deliver_crm_events(sqs_client: Any, queue_url: str, handler: Handler, function_arn: str | None = None) -> int:
    """Run `handler` on every event waiting in the local delivery queue; how many were handled."""
    handled = 0
    arn = function_arn or local_projection_arn()
    while True:
        messages = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return handled
        for message in messages:
            try:
                handler(json.loads(message["Body"]), _projection_context(arn))
            except Exception as error:  # noqa: BLE001 - as Lambda: the event stays for a retry
                logger.warning("projection failed on a delivered event: %s", type(error).__name__)
                sqs_client.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5
                )
                continue
            sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1


class CrmDelivery:
    """A daemon thread calling deliver_crm_events every `interval_seconds` until stop()."""

    def __init__(self, sqs_client: Any, queue_url: str, handler: Handler, interval_seconds: float = 0.5) -> None:
        self._args = (sqs_client, queue_url, handler)
        self.interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crm-delivery", daemon=True)
        self.delivered = 0

    def start(self) -> CrmDelivery:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                self.delivered += deliver_crm_events(*self._args)
            except Exception as error:  # noqa: BLE001 - a failed poll must not end the thread
                logger.warning("CRM delivery poll failed: %s", type(error).__name__)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def fire_due_schedules(scheduler_client: Any, group_name: str, handler: Handler, now: datetime) -> list[Any]:
    """Invoke `handler` with the input of every one-time schedule of `group_name` due at `now` (UTC), then
    delete it, as EventBridge Scheduler does with ActionAfterCompletion DELETE; the handlers' results."""
    results = []
    paginator = scheduler_client.get_paginator("list_schedules")
    for page in paginator.paginate(GroupName=group_name):
        for summary in page.get("Schedules", []):
            schedule = scheduler_client.get_schedule(GroupName=group_name, Name=summary["Name"])
            expression = str(schedule["ScheduleExpression"])
            if not (expression.startswith("at(") and expression.endswith(")")):
                continue
            due = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
            if due > now:
                continue
            target = schedule["Target"]
            results.append(handler(json.loads(target.get("Input") or "{}"), _projection_context(target["Arn"])))
            scheduler_client.delete_schedule(GroupName=group_name, Name=summary["Name"])
    return results


# 3b. Driving the inbound side from outside (POST /_local/crm-inbound, POST /_local/schedules/fire) -----------
MAX_EVENTS_PER_PUT = 10  # PutEvents' limit


def crm_put_events_entry(event: Any) -> dict[str, Any]:
    """The PutEvents entry the operator's CRM sends for one event given in EventBridge's shape (the samples of
    events/): `source` -> Source, `detail-type` -> DetailType, `detail` (the envelope the projection reads:
    event_id, entity_version, occurred_at, ...) -> Detail as JSON, on the inbound CRM bus. EventBridge sets
    `id`, `time`, `account` and `region` itself, so those of the sample are not sent. Raises ValueError."""
    if not isinstance(event, Mapping):
        raise ValueError("an event is a JSON object")
    source, detail_type, detail = event.get("source"), event.get("detail-type"), event.get("detail")
    if not isinstance(source, str) or not isinstance(detail_type, str) or not isinstance(detail, Mapping):
        raise ValueError("an event needs `source` and `detail-type` (strings) and `detail` (an object)")
    return {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "EventBusName": d.CRM_INBOUND_BUS_NAME,
    }


def put_crm_events(events_client: Any, events: Any) -> list[str]:
    """Put one event (or a list of at most MAX_EVENTS_PER_PUT) on the inbound CRM bus as the CRM does; the
    EventBridge ids. The projection rule (source operator.crm and a known detail-type) takes it from there:
    on the local stack, `CrmDelivery` projects it within its polling interval. Raises ValueError."""
    batch = events if isinstance(events, list) else [events]
    if not 1 <= len(batch) <= MAX_EVENTS_PER_PUT:
        raise ValueError(f"send 1 to {MAX_EVENTS_PER_PUT} events")
    entries = [crm_put_events_entry(event) for event in batch]
    answer = events_client.put_events(Entries=entries)
    if answer.get("FailedEntryCount"):
        raise ValueError("the bus refused an entry")
    return [str(entry.get("EventId", "")) for entry in answer.get("Entries", [])]


@dataclass(frozen=True)
class _At:
    """A clock stopped at `moment`: the projection run as if EventBridge Scheduler fired at that time."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def fire_anonymisation_schedules(scheduler_client: Any, now: datetime) -> list[Any]:
    """fire_due_schedules for the anonymisation group, with a projection whose clock reads `now`: the schedules
    due at `now` run as they would at that time (5 years after a termination), their outcome each."""
    from selfcare.config import ProjectionSettings
    from selfcare.projection.wiring import build_projection

    # The clock of every part (the retention steps decide what is due by it), not only the projection's.
    service = build_projection(ProjectionSettings.from_env(), clock=_At(now))

    def handler(event: Any, context: Any) -> dict[str, str]:
        return {"outcome": service.handle(event, target_arn=context.invoked_function_arn).value}

    return fire_due_schedules(scheduler_client, d.ANONYMISATION_SCHEDULE_GROUP, handler, now)


# 6. Memory on long runs (`install_bounded_memory`) -----------------------------------------------------
# Measured (bench/local_stack_memory.py): the local stack grew by ~0.6 MiB a request (397 MiB at start, 1.3 GiB
# after 1,500 requests, 2 requests/s and slowing), because moto's transact_write_items backs up EVERY table a
# transaction touches with copy.deepcopy of the whole table, before any write; the copies stayed alive (a probe
# counted 150 whole-table copies after 300 requests), and each transaction cost O(table size).
_memory_installed: tuple[Any, Any] | None = None  # (moto's transact_write_items, the module's copy) once replaced
SENT_MESSAGES_KEPT = 1000  # SES messages moto keeps (the outbox shows them): the newest


def install_bounded_memory() -> None:
    """Replace moto's whole-table backup of a transaction by a backup of the items it touches (restored, and the
    stream records of the cancelled writes dropped, when the transaction is cancelled), and keep only the newest
    SENT_MESSAGES_KEPT messages of SES. moto 5.2.5's private API (DynamoDBBackend.transact_write_items, the
    module's `copy`, Table.stream_shard): covered by tests/e2e/test_emulation.py."""
    global _memory_installed
    import copy
    import types

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if _memory_installed is not None:
        return
    original = DynamoDBBackend.transact_write_items
    saved = (original, vars(dynamodb_models)["copy"])

    def no_table_copy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # moto's own rollback then puts the very same table back: the items are restored below instead.
    vars(dynamodb_models)["copy"] = types.SimpleNamespace(deepcopy=no_table_copy)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.tables[op["TableName"]]
                if "Key" in op:
                    key = op["Key"]
                else:
                    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                    key = {name: op["Item"][name] for name in names}
                current = self.get_item(table.name, key)
            except Exception:  # noqa: BLE001, S112 - moto itself refuses such an operation, before writing it
                continue
            backups.append((table.name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            if table.stream_shard is not None:
                streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
        try:
            original(self, transact_items)
        except Exception:
            for name, key, attributes in reversed(backups):
                if attributes is None:
                    self.delete_item(name, key)
                else:
                    self.put_item(name, attributes)
            for shard, length in streams.values():
                del shard.items[length:]  # as if the cancelled writes never happened (no outbox record relayed)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _memory_installed = saved


# 9. DynamoDB requests one at a time -----------------------------------------------------------------
_dynamodb_lock = threading.Lock()
_serialized_installed: dict[type, Any] = {}  # handler class -> its own call_action, once replaced


def install_serialized_dynamodb() -> None:
    """Run moto's DynamoDB and DynamoDB Streams request handlers one at a time (see section 9)."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler_class in (DynamoHandler, DynamoDBStreamsHandler):
        if handler_class in _serialized_installed:
            continue
        original = handler_class.call_action

        def call_action(self: Any, _original: Any = original) -> Any:
            with _dynamodb_lock:
                return _original(self)

        _serialized_installed[handler_class] = original
        handler_class.call_action = call_action  # type: ignore[method-assign]


def uninstall_serialized_dynamodb() -> None:
    """moto's own handlers again (tests)."""
    for handler_class, original in _serialized_installed.items():
        handler_class.call_action = original  # type: ignore[method-assign]
    _serialized_installed.clear()


def uninstall_bounded_memory() -> None:
    """moto's own transaction backup again (tests)."""
    global _memory_installed
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend

    if _memory_installed is not None:
        DynamoDBBackend.transact_write_items = _memory_installed[0]  # type: ignore[method-assign]
        vars(dynamodb_models)["copy"] = _memory_installed[1]
        _memory_installed = None


def prune_stream_iterators(keep: set[str]) -> int:
    """moto keeps every shard iterator it ever handed out (GetRecords hands out a new one each call: two a second
    for the relay, each holding its shard): forget all but `keep`; how many were forgotten."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    forgotten = 0
    for account_backends in list(dynamodbstreams_backends.values()):
        for backend in list(account_backends.values()):
            for arn in [arn for arn in backend.shard_iterators if arn not in keep]:
                del backend.shard_iterators[arn]
                forgotten += 1
    return forgotten


# 4. SES outbox -----------------------------------------------------------------------------------
_outbox_installed = False


def install_outbox_timestamps() -> None:
    """Stamp `sent_at` (epoch seconds) on every message moto's SES (v1 and v2) records from now on."""
    global _outbox_installed
    from moto.ses.models import SESBackend

    if _outbox_installed:
        return
    for method_name in ("send_email", "send_raw_email", "send_templated_email"):
        original = getattr(SESBackend, method_name)

        def stamped(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            message = _original(self, *args, **kwargs)
            message.sent_at = time.time()
            del self.sent_messages[:-SENT_MESSAGES_KEPT]  # bounded on long runs: the newest are kept
            return message

        setattr(SESBackend, method_name, stamped)
    _outbox_installed = True


def _ses_messages() -> Iterator[Any]:
    from moto.ses.models import ses_backends

    for account_backends in list(ses_backends.values()):
        for backend in list(account_backends.values()):
            yield from list(backend.sent_messages)


def _message_view(message: Any) -> dict[str, Any]:
    sent_at = getattr(message, "sent_at", None)
    view: dict[str, Any] = {
        "id": message.id,
        "from": message.source,
        "sent_at": datetime.fromtimestamp(sent_at, UTC).isoformat() if sent_at else None,
    }
    if hasattr(message, "raw_data"):  # send_raw_email
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        view |= {
            "to": list(message.destinations),
            "subject": str(parsed.get("Subject", "")),
            "body": body.get_content() if body is not None else "",
        }
    else:
        destinations = message.destinations or {}
        to = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])]
        view |= {
            "to": to,
            "subject": getattr(message, "subject", getattr(message, "template", "")),
            "body": getattr(message, "body", getattr(message, "template_data", "")),
        }
    return view


def _sms_views() -> Iterator[dict[str, Any]]:
    """SMS published through moto's SNS to phone numbers (`sms_messages`: id -> (number, text)); moto keeps
    no time, so they sort after the emails."""
    from moto.sns.models import sns_backends

    for account_backends in list(sns_backends.values()):
        for backend in list(account_backends.values()):
            for message_id, (number, text) in list(backend.sms_messages.items()):
                yield {"id": message_id, "from": "SMS", "sent_at": None, "to": [number], "subject": "SMS", "body": text}


def outbox(to: str | None = None) -> list[dict[str, Any]]:
    """The emails sent through moto's SES, then the SMS through its SNS, in this process, newest first;
    only those to `to` (an address or an E.164 number) if given."""
    views = [_message_view(message) for message in _ses_messages()] + list(_sms_views())
    if to is not None:
        wanted = to.strip().lower()
        views = [v for v in views if any(address.lower() == wanted for address in v["to"])]
    views.reverse()  # moto appends: newest last
    views.sort(key=lambda v: v["sent_at"] or "", reverse=True)  # stable across accounts and regions
    return views


# 5. DynamoDB stream -> Lambda (event source mapping) ---------------------------------------------
def matches_filter(value: Any, pattern: Any) -> bool:
    """Lambda's event filtering, for the pattern forms definitions.CRM_OUTBOX_FILTER uses: nested objects,
    a list of accepted exact values, and `{"prefix": ...}`."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            name in value and matches_filter(value[name], inner) for name, inner in pattern.items()
        )
    if isinstance(pattern, list):
        for accepted in pattern:
            if isinstance(accepted, dict) and "prefix" in accepted:
                if isinstance(value, str) and value.startswith(accepted["prefix"]):
                    return True
            elif value == accepted:
                return True
        return False
    raise ValueError(f"unsupported filter pattern: {pattern!r}")


def streams_client(session: Any) -> Any:
    """A DynamoDB Streams client moto answers: botocore >= 1.44 sends `streams` calls to an account-id
    endpoint (<account>.streams-ddb...) that moto's in-process mock does not route; the regional one works."""
    from botocore.config import Config

    return session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


@dataclass
class _Shard:
    iterator: str | None
    waiting: list[dict[str, Any]]  # filtered records not handled yet, in order
    failures: int = 0


class StreamRelay:
    """What a DynamoDB event source mapping does, for one table's stream and one function: moto keeps the
    stream (records readable with GetRecords) but never invokes a function with it.

    `poll_once()` reads every shard from its start (TRIM_HORIZON), keeps the records matching `filter`
    (the mapping's FilterCriteria), and calls `handler({"Records": [...]}, context)` with batches of at
    most `batch_size`, in order. The handler answers `batchItemFailures` like a Lambda function with
    ReportBatchItemFailures: the batch is resumed from the first failed record on the next poll; a raise
    retries the whole batch; after `max_retries` the records are dropped with a warning (the mapping's
    on-failure destination; the outbox items stay in the table). `start()` polls every `interval_seconds`
    in a daemon thread (`python -m infra.local`); tests call `poll_once()` themselves.
    """

    def __init__(
        self,
        session: Any,
        table: str,
        function: d.Function,
        handler: Handler,
        *,
        filter: Mapping[str, Any] = d.CRM_OUTBOX_FILTER,
        batch_size: int = d.CRM_OUTBOX_BATCH_SIZE,
        max_retries: int = 5,
        interval_seconds: float = 0.5,
        prune_iterators: bool = False,
    ) -> None:
        self._streams = streams_client(session)
        # The only reader of the stream (the local stack): moto's older iterators are forgotten after each poll.
        self.prune_iterators = prune_iterators
        self._stream_arn = session.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._function, self._handler, self._filter = function, handler, filter
        self.batch_size, self.max_retries, self.interval_seconds = batch_size, max_retries, interval_seconds
        self._shards: dict[str, _Shard] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-relay", daemon=True)
        self.invocations = 0
        self.dropped = 0

    def _context(self) -> _InvokeContext:
        return _InvokeContext(
            function_name=f"{d.SERVICE}-{self._function.name}",
            memory_limit_in_mb=self._function.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:eu-west-3:123456789012:function:{d.SERVICE}-{self._function.name}",
            timeout_seconds=self._function.timeout_seconds,
        )

    def _read(self, shard: _Shard) -> None:
        while shard.iterator:
            answer = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
            records = answer.get("Records", [])
            shard.iterator = answer.get("NextShardIterator")
            for record in records:
                if matches_filter(record, self._filter):
                    shard.waiting.append({**record, "eventSourceARN": self._stream_arn})
            if not records:
                return

    def poll_once(self) -> int:
        """Read and hand over everything the stream holds now; how many records the handler took."""
        taken = 0
        with self._lock:
            description = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
            for shard_info in description.get("Shards", []):
                shard_id = shard_info["ShardId"]
                if shard_id not in self._shards:
                    iterator = self._streams.get_shard_iterator(
                        StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                    self._shards[shard_id] = _Shard(iterator, [])
                shard = self._shards[shard_id]
                self._read(shard)
                taken += self._hand_over(shard)
            if self.prune_iterators:
                prune_stream_iterators({shard.iterator for shard in self._shards.values() if shard.iterator})
        return taken

    def _hand_over(self, shard: _Shard) -> int:
        taken = 0
        while shard.waiting:
            batch = shard.waiting[: self.batch_size]
            self.invocations += 1
            try:
                answer = self._handler({"Records": batch}, self._context()) or {}
                failed = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
            except Exception as error:  # noqa: BLE001 - as Lambda: the whole batch is retried
                logger.warning("stream handler failed: %s", type(error).__name__)
                failed = [batch[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                shard.waiting = shard.waiting[len(batch) :]
                shard.failures = 0
                taken += len(batch)
                continue
            sequences = [record["dynamodb"]["SequenceNumber"] for record in batch]
            first = min(sequences.index(f) if f in sequences else 0 for f in failed)
            shard.waiting = shard.waiting[first:]
            taken += first
            shard.failures += 1
            if shard.failures > self.max_retries:
                logger.warning("stream records dropped after %d retries (the on-failure destination)", self.max_retries)
                self.dropped += 1
                shard.waiting = shard.waiting[1:]
                shard.failures = 0
            return taken  # resumed on the next poll
        return taken

    def start(self) -> StreamRelay:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - a failed poll must not end the thread
                logger.warning("stream poll failed: %s", type(error).__name__)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


CRM_LISTENER_QUEUE_NAME = "selfcare-local-crm-received"


class CrmListener:
    """The operator's CRM, as far as the local stack can show it: a rule on the outbound CRM bus (every
    event the space publishes) targets a local queue; `drain()` keeps the events it holds (newest last,
    at most `keep`), for GET /_local/crm-events and the tests. Production has no such rule: the CRM
    subscribes to the bus on its side."""

    def __init__(self, session: Any, keep: int = 500) -> None:
        events, self._sqs = session.client("events"), session.client("sqs")
        self._url = self._sqs.create_queue(QueueName=CRM_LISTENER_QUEUE_NAME)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule = f"{CRM_LISTENER_QUEUE_NAME}-rule"
        events.put_rule(
            Name=rule,
            EventBusName=d.CRM_OUTBOUND_BUS_NAME,
            EventPattern=json.dumps({"source": [d.CRM_OUTBOUND_SOURCE]}),
            State="ENABLED",
        )
        events.put_targets(Rule=rule, EventBusName=d.CRM_OUTBOUND_BUS_NAME, Targets=[{"Id": "crm", "Arn": arn}])
        self.keep = keep
        self._received: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def drain(self) -> list[dict[str, Any]]:
        """Move what the queue holds into memory; every event received so far, oldest first."""
        with self._lock:
            while True:
                messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                    "Messages", []
                )
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    self._received.append(
                        {"event_type": event.get("detail-type"), "received_at": event.get("time")}
                        | dict(event.get("detail") or {})
                    )
                    self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            del self._received[: max(0, len(self._received) - self.keep)]
            return list(self._received)

    def events(self, customer_id: str | None = None) -> list[dict[str, Any]]:
        """Newest first, only `customer_id`'s if given (GET /_local/crm-events[?customer_id=...])."""
        found = [e for e in self.drain() if customer_id is None or e.get("customer_id") == customer_id]
        return list(reversed(found))


# 7. Scheduled functions (audit digests) -----------------------------------------------------------------
class PeriodicInvoker:
    """EventBridge schedules never fire on moto: a daemon thread invokes `handler` every `interval_seconds`
    (first right away), as the hourly schedule of the audit digest function would."""

    def __init__(self, handler: Handler, interval_seconds: float, name: str) -> None:
        self._handler = handler
        self.interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.runs = 0

    def start(self) -> PeriodicInvoker:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                context = _InvokeContext(
                    function_name=self._thread.name,
                    memory_limit_in_mb=512,
                    invoked_function_arn=f"arn:aws:lambda:eu-west-3:123456789012:function:{self._thread.name}",
                    timeout_seconds=120,
                )
                self._handler({"source": "aws.events", "detail-type": "Scheduled Event"}, context)
                self.runs += 1
            except Exception as error:  # noqa: BLE001 - a failed run must not end the thread
                logger.warning("scheduled run failed: %s", type(error).__name__)
            if self._stopped.wait(self.interval_seconds):
                return

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


# 8. Commercial SMS: the campaign queue -> the worker, the inbound topic -> the inbound handler -------------
def _sms_context(function: d.Function) -> _InvokeContext:
    return _InvokeContext(
        function_name=f"{d.SERVICE}-{function.name}",
        memory_limit_in_mb=function.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:eu-west-3:123456789012:function:{d.SERVICE}-{function.name}",
        timeout_seconds=function.timeout_seconds,
    )


def queue_arn(sqs_client: Any, queue_url: str) -> str:
    attributes = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


def deliver_sms_batches(
    sqs_client: Any,
    queue_url: str,
    handler: Handler,
    max_messages: int | None = None,
    arn: str | None = None,
    function: d.Function = d.SMS_CAMPAIGNS,
) -> int:
    """Run the worker on the batches waiting in the campaign queue; how many it handled (`max_messages`: stop
    after that many, the tests' "crash midway"; `arn`: the queue's, read when None). `function`: the consumer
    (data-subject rights: the same SQS -> Lambda emulation drains the export queue into `rights_export`)."""
    handled = 0
    arn = arn or queue_arn(sqs_client, queue_url)
    while max_messages is None or handled < max_messages:
        messages = sqs_client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return handled
        message = messages[0]
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "eu-west-3",
        }
        try:
            answer = handler({"Records": [record]}, _sms_context(function)) or {}
            failed = bool(answer.get("batchItemFailures"))
        except Exception as error:  # noqa: BLE001 - as Lambda: the message stays for a retry
            logger.warning("sms worker failed: %s", type(error).__name__)
            failed = True
        if failed:  # visible already (received with 0), or as long as the handler asked
            return handled
        sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
    return handled


class SmsCampaignDelivery:
    """A daemon thread calling deliver_sms_batches every `interval_seconds` until stop()."""

    def __init__(
        self,
        sqs_client: Any,
        queue_url: str,
        handler: Handler,
        interval_seconds: float = 1.0,
        function: d.Function = d.SMS_CAMPAIGNS,
    ) -> None:
        self._args = (sqs_client, queue_url, handler)
        self._function = function
        self._arn = queue_arn(sqs_client, queue_url)  # once: each poll is then a single ReceiveMessage
        self.interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sms-campaign-delivery", daemon=True)
        self.delivered = 0

    def start(self) -> SmsCampaignDelivery:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                self.delivered += deliver_sms_batches(*self._args, arn=self._arn, function=self._function)
            except Exception as error:  # noqa: BLE001 - a failed poll must not end the thread
                logger.warning("sms campaign delivery poll failed: %s", type(error).__name__)

    def stop(self, timeout: float = 1.0) -> None:
        # Short: a daemon thread, and the local stack's other stops share its shutdown budget.
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def inbound_sms_event(origination: str, destination: str, body: str, topic_arn: str = "") -> dict[str, Any]:
    """The SNS event the inbound topic delivers to a Lambda subscriber, for one SMS of the two-way channel."""
    message_id = str(uuid.uuid4())
    message = {
        "originationNumber": origination,
        "destinationNumber": destination,
        "messageKeyword": body.strip().split(" ")[0].upper() if body.strip() else "",
        "messageBody": body,
        "inboundMessageId": message_id,
        "previousPublishedMessageId": None,
    }
    arn = topic_arn or f"arn:aws:sns:eu-west-3:123456789012:{d.SMS_INBOUND_TOPIC_NAME}"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": arn,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "MessageAttributes": {},
                },
            }
        ]
    }


def inject_inbound_sms(handler: Handler, origination: str, destination: str, body: str, topic_arn: str = "") -> Any:
    """Deliver one inbound SMS to the `sms_inbound` handler as its topic would; the handler's answer."""
    return handler(inbound_sms_event(origination, destination, body, topic_arn), _sms_context(d.SMS_INBOUND))
