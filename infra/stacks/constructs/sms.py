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

from aws_cdk import aws_lambda, aws_sns, aws_sns_subscriptions
from constructs import Construct

from infra import definitions
from infra.stacks.acknowledge import acknowledge
from infra.stacks.constructs.worker_queue import worker_queue


class Sms(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, worker: aws_lambda.IFunction, inbound: aws_lambda.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = worker_queue(
            self,
            "Campaign",
            queue_name=definitions.SMS_CAMPAIGN_QUEUE_NAME,
            dead_letter_queue_name=definitions.SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME,
            visibility_seconds=definitions.SMS_CAMPAIGN_VISIBILITY_SECONDS,
            max_receives=definitions.SMS_CAMPAIGN_MAX_RECEIVES,
            batch_size=definitions.SMS_CAMPAIGN_BATCH_SIZE,
            worker=worker,
            what="the SMS campaign batches",
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
