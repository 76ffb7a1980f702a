"""Function `audit_digest` (no route; an hourly EventBridge schedule): signs the audit trail's chain heads.

Writes one digest per run to the audit digest bucket (Object Lock); see selfcare.audit.digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.audit.digest import AuditDigester
from selfcare.clock import SystemClock
from selfcare.config import AuditDigestSettings
from selfcare.dal.logs import LogsRepository
from selfcare.observability import count, logger, metrics
from selfcare.ports.audit_digests import KmsDigestSigner, S3DigestStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = AuditDigestSettings.from_env()
digester = AuditDigester(
    LogsRepository(None, settings.audit_log_table),
    S3DigestStore(settings.audit_digest_bucket),
    KmsDigestSigner(settings.audit_digest_key_id),
    SystemClock(),
)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    written = digester.run()
    count("AuditDigestWritten")
    logger.info("audit digest written", extra={"digest_key": written.key, "heads": written.heads})
    return {"digest_key": written.key, "heads": written.heads}


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
