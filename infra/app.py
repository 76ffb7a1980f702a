"""The CDK app: `python -m infra.app` (cdk.json's app) synthesizes SelfcareData and SelfcareService offline.

Output goes to CDK_OUTDIR (default ./cdk.out). Region from CDK_DEFAULT_REGION (default eu-west-3);
account from CDK_DEFAULT_ACCOUNT when set, else left to deploy time, so synth needs no credentials.
cdk-nag's AwsSolutions pack runs as a validation plugin: any unacknowledged finding fails synth with a
non-zero exit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.definitions import ROOT
from infra.stacks import names
from infra.stacks.data_stack import DataStack
from infra.stacks.service_stack import ServiceStack, oidc_grant_values

# Context defaults under cdk.json's: cross-stack references stay "strong" (the producer stack cannot drop an
# export a consumer still uses), set explicitly as CDK asks.
CONTEXT_DEFAULTS: dict[str, Any] = {"@aws-cdk/core:defaultCrossStackReferences": "strong"}


# Digital-identity login and staff sign-in (OpenID Connect): oidc_grant_values' argument, context key, default.
OIDC_CONTEXT: tuple[tuple[str, str, str], ...] = (
    (
        "digital_identity_discovery_url",
        names.DIGITAL_IDENTITY_DISCOVERY_URL_CONTEXT,
        names.DEFAULT_DIGITAL_IDENTITY_DISCOVERY_URL,
    ),
    ("digital_identity_client_id", names.DIGITAL_IDENTITY_CLIENT_ID_CONTEXT, names.DEFAULT_DIGITAL_IDENTITY_CLIENT_ID),
    (
        "staff_directory_discovery_url",
        names.STAFF_DIRECTORY_DISCOVERY_URL_CONTEXT,
        names.DEFAULT_STAFF_DIRECTORY_DISCOVERY_URL,
    ),
    ("staff_directory_client_id", names.STAFF_DIRECTORY_CLIENT_ID_CONTEXT, names.DEFAULT_STAFF_DIRECTORY_CLIENT_ID),
    ("public_api_url", names.PUBLIC_API_URL_CONTEXT, names.DEFAULT_PUBLIC_API_URL),
)


def operator_identity(context: Any) -> dict[str, str] | None:
    """The CDK context `operator_identity` ({"name", "address", "privacy_email", "postal_contact"}, or that object
    as JSON text) as the privacy function's OPERATOR_* variables; None (the demonstration values) when unset. A
    partial one fails."""
    if not context:
        return None
    if isinstance(context, str):  # `cdk deploy -c operator_identity='{...}'` passes a string
        context = json.loads(context)
    fields = {"name": "OPERATOR_NAME", "address": "OPERATOR_ADDRESS", "privacy_email": "OPERATOR_PRIVACY_EMAIL"}
    fields["postal_contact"] = "OPERATOR_POSTAL_CONTACT"
    missing = sorted(set(fields) - set(context))
    if missing:
        raise ValueError(f"context {names.OPERATOR_IDENTITY_CONTEXT} lacks {missing}")
    return {variable: str(context[key]) for key, variable in fields.items()}


def incident_tracker(app: App) -> dict[str, str]:
    """The contexts `incident_tracker_url` and `incident_tracker_token_secret_name` (both, or neither: then the
    functions refuse incident grants with 503 incident_tracker_unavailable)."""
    url = str(app.node.try_get_context(names.INCIDENT_TRACKER_URL_CONTEXT) or "")
    secret_name = str(app.node.try_get_context(names.INCIDENT_TRACKER_TOKEN_SECRET_NAME_CONTEXT) or "")
    if bool(url) != bool(secret_name):
        raise ValueError(
            f"set both contexts {names.INCIDENT_TRACKER_URL_CONTEXT} and "
            f"{names.INCIDENT_TRACKER_TOKEN_SECRET_NAME_CONTEXT}, or neither"
        )
    if url and not url.startswith("https://"):
        raise ValueError(f"context {names.INCIDENT_TRACKER_URL_CONTEXT} must be an https URL")
    return {"incident_tracker_url": url, "incident_tracker_token_secret_name": secret_name}


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, so that `python -m infra.app` and the CDK CLI synthesize the same templates."""
    cdk_json = ROOT / "cdk.json"
    if not cdk_json.is_file():
        return {}
    return dict(json.loads(cdk_json.read_text()).get("context", {}))


def build_app(outdir: str | None = None) -> App:
    app = App(
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(Path.cwd() / "cdk.out"),
        context={**CONTEXT_DEFAULTS, **cdk_json_context()},
    )
    env = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT") or None,
        region=os.environ.get("CDK_DEFAULT_REGION") or names.DEFAULT_REGION,
    )
    sender = app.node.try_get_context(names.NOTIFICATION_SENDER_CONTEXT) or names.DEFAULT_NOTIFICATION_SENDER
    data_stack = DataStack(app, names.DATA_STACK, env=env)
    # The service stack references the data stack's resources, which makes it depend on it.
    endpoint = app.node.try_get_context(names.PROVISIONING_ENDPOINT_CONTEXT) or names.DEFAULT_PROVISIONING_ENDPOINT
    ServiceStack(
        app,
        names.SERVICE_STACK,
        data=data_stack.data,
        notification_sender=str(sender),
        provisioning_endpoint=str(endpoint),
        oidc_values=oidc_grant_values(
            **{
                argument: str(app.node.try_get_context(context) or default)
                for argument, context, default in OIDC_CONTEXT
            }
        ),
        operator_identity=operator_identity(app.node.try_get_context(names.OPERATOR_IDENTITY_CONTEXT)),
        **incident_tracker(app),  # issue 8: staff grants bound to an open incident
        env=env,
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> int:
    outdir = os.environ.get("CDK_OUTDIR") or str(Path.cwd() / "cdk.out")
    try:
        build_app(outdir).synth()
    except RuntimeError as error:  # jsii wraps the JavaScript error; the report is already on stderr
        if "ValidationFailed" not in str(error):
            raise
        print(
            f"synth failed: cdk-nag findings above, report in {outdir}/validation-report.json",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
