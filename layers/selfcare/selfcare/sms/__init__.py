"""Commercial SMS governance (SPEC.md, "Commercial SMS governance"; issue 11): the register of VAS providers,
the provider API's per-message decisions, campaigns, opt-outs (inbound STOP, the customer's space), complaints,
monthly reports and suspension proposals."""
