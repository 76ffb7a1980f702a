"""Capability `fixed`: the customer's fixed lines."""
