"""API Gateway REQUEST authorizer: Bearer JWT, live session, and for staff a live grant.

401 (raise "Unauthorized") for a missing, invalid, expired or revoked credential; 403 (Deny) for a
valid staff member naming a grant that is not theirs or not live. A session or grant of a closed customer space
(retention's hide step) is allowed with the context `{"account_closed": true}` alone: the shared resolver
(selfcare.api.resolver) answers every route 410 `account_closed` in the one error shape, before any route runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.auth.authorizer import RequestAuthorizer, authorizer_context
from selfcare.auth.context import closed_context
from selfcare.config import AuthorizerSettings
from selfcare.errors import AccountClosed, Forbidden, Unauthenticated
from selfcare.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

ASSISTED_ACCESS_HEADER = "x-assisted-access"

settings = AuthorizerSettings.from_env()
authorizer = RequestAuthorizer.from_settings(settings)


def _policy(principal_id: str, effect: str, method_arn: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> every method of this stage.
    arn_prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    document = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{arn_prefix}/{stage}/*/*"}],
        },
    }
    if context:
        document["context"] = context
    return document


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value) if value is not None else None
    return None


# clear_state: a warm container must not carry the previous caller's keys (session id) into this one's lines.
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    method_arn = str(event.get("methodArn", ""))
    try:
        caller = authorizer.authorize(_header(event, "authorization"), _header(event, ASSISTED_ACCESS_HEADER))
    except Unauthenticated:
        logger.info("request refused: unauthenticated")
        raise Exception("Unauthorized") from None
    except Forbidden:
        logger.info("request refused: forbidden")
        return _policy("denied", "Deny", method_arn)
    except AccountClosed:
        logger.info("request refused: account closed")
        return _policy("closed", "Allow", method_arn, closed_context())
    logger.append_keys(session_id=caller.session_id, principal_type=caller.principal_type.value)
    return _policy(caller.actor, "Allow", method_arn, authorizer_context(caller))


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(clients=("dynamodb", "ssm"))
