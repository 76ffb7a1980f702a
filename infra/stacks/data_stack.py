"""SelfcareData: the stateful stack (key, tables, JWT key material). Everything in it is retained."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.stacks.constructs.data import Data


class DataStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Selfcare stateful resources: KMS key, DynamoDB tables, JWT signing key material, secrets",
            termination_protection=True,
            **kwargs,
        )
        self.data = Data(self, "Data")
