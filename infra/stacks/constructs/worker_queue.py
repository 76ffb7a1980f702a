"""A queue that feeds a worker function, with its dead-letter queue: the one shape of the SMS campaign batches
and the access-request exports. SQS-managed encryption, TLS only, the dead letters kept
definitions.DEAD_LETTER_RETENTION_DAYS, the worker reading with ReportBatchItemFailures. Construct ids are given
by the caller (they name the CloudFormation resources)."""

from __future__ import annotations

from aws_cdk import Duration, aws_lambda, aws_lambda_event_sources, aws_sqs
from constructs import Construct

from infra import definitions
from infra.stacks.acknowledge import acknowledge


def worker_queue(
    scope: Construct,
    construct_id: str,
    *,
    queue_name: str,
    dead_letter_queue_name: str,
    visibility_seconds: int,
    max_receives: int,
    batch_size: int,
    worker: aws_lambda.IFunction,
    what: str,
) -> tuple[aws_sqs.Queue, aws_sqs.Queue]:
    """The queue `<construct_id>Queue` and its dead-letter queue `<construct_id>DeadLetterQueue` (`what`: what the
    dead letters are, for the cdk-nag acknowledgement); the worker reads the queue. (queue, dead-letter queue)."""
    dead_letters = aws_sqs.Queue(
        scope,
        f"{construct_id}DeadLetterQueue",
        queue_name=dead_letter_queue_name,
        encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(definitions.DEAD_LETTER_RETENTION_DAYS),
    )
    acknowledge(
        dead_letters,
        "AwsSolutions-SQS3",
        f"This queue is the dead-letter queue of {what}; a dead-letter queue has no dead-letter queue of its own.",
    )
    queue = aws_sqs.Queue(
        scope,
        f"{construct_id}Queue",
        queue_name=queue_name,
        encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=Duration.seconds(visibility_seconds),
        dead_letter_queue=aws_sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=max_receives),
    )
    worker.add_event_source(
        aws_lambda_event_sources.SqsEventSource(queue, batch_size=batch_size, report_batch_item_failures=True)
    )
    return queue, dead_letters
