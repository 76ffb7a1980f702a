"""cdk-nag 3 acknowledgments: one place that records each with its reason on a construct."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::*]`, `AwsSolutions-SMG4`...) on `scope`.

    cdk-nag 3 needs each IAM5 finding acknowledged by its own id; the reason is mandatory and specific.
    """
    if not reason.strip():
        raise ValueError(f"an acknowledgment of {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
