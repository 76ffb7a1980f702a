"""WAFv2 web ACL for the API stage: AWS managed rule groups, a per-IP rate limit on the auth entry points."""

from __future__ import annotations

from aws_cdk import aws_wafv2
from constructs import Construct

from infra import definitions
from infra.stacks import names

_waf = aws_wafv2.CfnWebACL


def _visibility(metric_name: str) -> _waf.VisibilityConfigProperty:
    return _waf.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _managed_rule(name: str, priority: int, *, count: tuple[str, ...] = ()) -> _waf.RuleProperty:
    return _waf.RuleProperty(
        name=name,
        priority=priority,
        override_action=_waf.OverrideActionProperty(none={}),
        statement=_waf.StatementProperty(
            managed_rule_group_statement=_waf.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    _waf.RuleActionOverrideProperty(name=rule, action_to_use=_waf.RuleActionProperty(count={}))
                    for rule in count
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def rate_limited_prefixes(stage_name: str) -> list[str]:
    """URI prefixes of the rate rule: as routes write them (custom domain) and behind the stage name
    (execute-api URL, where WAF sees `/v1/auth/login`)."""
    prefixes = list(names.WAF_RATE_LIMITED_PREFIXES)
    return prefixes + [f"/{stage_name}{prefix}" for prefix in prefixes]


def _starts_with(prefix: str) -> _waf.StatementProperty:
    return _waf.StatementProperty(
        byte_match_statement=_waf.ByteMatchStatementProperty(
            field_to_match=_waf.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=prefix,
            text_transformations=[_waf.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


class Waf(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage_arn: str, stage_name: str) -> None:
        super().__init__(scope, construct_id)
        rate_rule = _waf.RuleProperty(
            name="AuthRateLimitPerIp",
            priority=0,
            action=_waf.RuleActionProperty(block={}),
            statement=_waf.StatementProperty(
                rate_based_statement=_waf.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=names.WAF_RATE_LIMIT_PER_IP,
                    evaluation_window_sec=names.WAF_RATE_WINDOW_SECONDS,
                    scope_down_statement=_waf.StatementProperty(
                        or_statement=_waf.OrStatementProperty(
                            statements=[_starts_with(prefix) for prefix in rate_limited_prefixes(stage_name)]
                        )
                    ),
                )
            ),
            visibility_config=_visibility("AuthRateLimitPerIp"),
        )
        self.web_acl = aws_wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=_waf.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{definitions.SERVICE}-api"),
            rules=[
                rate_rule,
                # The common rule set blocks bodies over 8 KB; the handlers accept up to
                # definitions.MAX_BODY_BYTES and answer 413 above it, so that rule only counts.
                _managed_rule("AWSManagedRulesCommonRuleSet", 1, count=("SizeRestrictions_BODY",)),
                _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2),
            ],
        )
        self.association = aws_wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
