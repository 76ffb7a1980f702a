"""The transactional outbox's delivery: the customers table's stream -> the relay function (crm_outbox).

- Event source mapping on the stream, filtered to new outbox items (definitions.CRM_OUTBOX_FILTER, the same
  pattern the local stack's StreamRelay applies), batches of CRM_OUTBOX_BATCH_SIZE (one PutEvents),
  ReportBatchItemFailures (the relay answers the first record it could not publish), bisect on error,
  retried for as long as the stream keeps the records (24 h) and CRM_OUTBOX_RETRIES times at most; then
  the batch's description goes to the outbox's dead-letter queue (the outbox items themselves stay in the
  table for CRM_OUTBOX_ITEM_DAYS: replay them from there).
- Dead-letter queue: SQS-managed encryption, TLS only, 14 days' retention.
The function's own permissions (stream read, SendMessage to the queue, PutEvents on the CRM bus) are its
grants (infra/stacks/constructs/functions.py): its role is immutable, nothing is added here.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, aws_dynamodb, aws_lambda, aws_lambda_event_sources, aws_sqs
from constructs import Construct

from infra import definitions
from infra.stacks.acknowledge import acknowledge


class CrmOutbox(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, function: aws_lambda.IFunction, table: aws_dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        if table.table_stream_arn is None:
            raise ValueError("the customers table has no stream: see definitions.CUSTOMERS")
        self.dead_letters = aws_sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=definitions.CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME,
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(definitions.DEAD_LETTER_RETENTION_DAYS),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the CRM outbox relay (stream batches it gave up on); a "
            "dead-letter queue has no dead-letter queue of its own.",
        )
        self.mapping = aws_lambda.EventSourceMapping(
            self,
            "StreamMapping",
            target=function,
            event_source_arn=table.table_stream_arn,
            starting_position=aws_lambda.StartingPosition.TRIM_HORIZON,
            batch_size=definitions.CRM_OUTBOX_BATCH_SIZE,
            max_batching_window=Duration.seconds(0),
            bisect_batch_on_error=True,
            retry_attempts=definitions.CRM_OUTBOX_RETRIES,
            max_record_age=Duration.seconds(definitions.CRM_OUTBOX_MAX_RECORD_AGE_SECONDS),
            report_batch_item_failures=True,
            filters=[{"pattern": json.dumps(definitions.CRM_OUTBOX_FILTER)}],
            # SqsDlq's own grant is a no-op on the immutable role: the grant `crm_outbox_stream` holds SendMessage.
            on_failure=aws_lambda_event_sources.SqsDlq(self.dead_letters),
        )
