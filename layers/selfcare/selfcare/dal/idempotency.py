"""Idempotency records (Powertools idempotency, DynamoDB persistence) for changes that must apply once.

`IdempotencyStore.once(name, function, command=..., **other)` runs `function` the first time a
given `command` (a dataclass: the request model the key is computed from) is seen, stores its
answer, and returns that stored answer to every repetition until the record expires. Other keyword
arguments reach the function but are not part of the key.

Everything is built on first use, never at import: Powertools' idempotency package imports boto3
(cold start). The persistence layer uses the process's botocore DynamoDB client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from selfcare.dal.dynamo import client
from selfcare.errors import Conflict


class RequestInProgress(Conflict):
    code = "request_in_progress"
    message = "The same request is being processed: try again in a moment."


class IdempotencyStore:
    def __init__(self, table: str, expires_after_seconds: int) -> None:
        self.table = table
        self.expires_after_seconds = expires_after_seconds
        self._wrapped: dict[str, Callable[..., Any]] = {}
        self._config: Any = None
        self._lambda_context: Any = None

    def register_lambda_context(self, context: Any) -> None:
        """Lets an in-progress record expire with the invocation (a crashed one does not block retries)."""
        self._lambda_context = context
        if self._config is not None:
            self._config.register_lambda_context(context)

    def once(self, name: str, function: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

        wrapped = self._wrapped.get(name)
        if wrapped is None:
            wrapped = self._wrapped[name] = self._wrap(name, function)
        try:
            return dict(wrapped(**kwargs))
        except IdempotencyAlreadyInProgressError as error:
            raise RequestInProgress() from error

    def _wrap(self, name: str, function: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        if self._config is None:
            self._config = IdempotencyConfig(
                expires_after_seconds=self.expires_after_seconds,
                hash_function="sha256",
                raise_on_no_idempotency_key=True,
            )
            if self._lambda_context is not None:
                self._config.register_lambda_context(self._lambda_context)
        persistence = DynamoDBPersistenceLayer(table_name=self.table, boto3_client=client())
        return idempotent_function(  # type: ignore[no-any-return]
            function,
            data_keyword_argument="command",
            persistence_store=persistence,
            config=self._config,
            key_prefix=name,
        )
