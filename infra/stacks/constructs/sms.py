"""Commercial SMS governance (capability `sms`): the campaign queue -> the worker, the inbound topic -> the
inbound function.

- Campaign queue (definitions.SMS_CAMPAIGN_QUEUE_NAME): one message per batch of recipients, SQS-managed
  encryption, TLS only, a visibility timeout of six times the worker's timeout; after SMS_CAMPAIGN_MAX_RECEIVES
  receives a batch goes to the dead-letter queue (14 days; replaying it is safe: processing skips every message
  already decided, selfcare.sms.sending). The worker reads it with batches of SMS_CAMPAIGN_BATCH_SIZE and
  ReportBatchItemFailures.
- Inbound topic (definitions.SMS_INBOUND_TOPIC_NAME): the two-way channel of AWS End User Messaging SMS (the
  phone pool's or short number's two-way destination) publishes each inbound SMS here; the inbound function is
  subscribed. TLS only.
The functions' own permissions (SendMessage for the provider API, Receive/Delete for the worker) are their
grants (infra/stacks/constructs/functions.py): their roles are immutable, nothing is added here.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_lambda, aws_lambda_event_sources, aws_sns, aws_sns_subscriptions, aws_sqs
from constructs import Construct

from infra import definitions
from infra.stacks.acknowledge import acknowledge


class Sms(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, worker: aws_lambda.IFunction, inbound: aws_lambda.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = aws_sqs.Queue(
            self,
            "CampaignDeadLetterQueue",
            queue_name=definitions.SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME,
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(definitions.DEAD_LETTER_RETENTION_DAYS),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the SMS campaign batches; a dead-letter queue has no "
            "dead-letter queue of its own.",
        )
        self.queue = aws_sqs.Queue(
            self,
            "CampaignQueue",
            queue_name=definitions.SMS_CAMPAIGN_QUEUE_NAME,
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(definitions.SMS_CAMPAIGN_VISIBILITY_SECONDS),
            dead_letter_queue=aws_sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=definitions.SMS_CAMPAIGN_MAX_RECEIVES
            ),
        )
        worker.add_event_source(
            aws_lambda_event_sources.SqsEventSource(
                self.queue,
                batch_size=definitions.SMS_CAMPAIGN_BATCH_SIZE,
                report_batch_item_failures=True,
            )
        )
        self.inbound_topic = aws_sns.Topic(
            self, "InboundTopic", topic_name=definitions.SMS_INBOUND_TOPIC_NAME, enforce_ssl=True
        )
        acknowledge(
            self.inbound_topic,
            "AwsSolutions-SNS2",
            "AWS End User Messaging SMS publishes inbound SMS to this topic: encrypting it needs a customer-managed "
            "key whose policy lets sms-voice.amazonaws.com use it, which the data stack's key does not grant yet "
            "(README, Commercial SMS: what is left). Messages are short-lived in SNS and delivered over TLS only.",
        )
        self.inbound_topic.add_subscription(aws_sns_subscriptions.LambdaSubscription(inbound))
