"""Capability `services`: other subscribed services (safety, password manager, device insurance)."""
