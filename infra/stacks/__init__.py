"""Selfcare's CDK stacks: SelfcareData (stateful) and SelfcareService (stateless)."""
