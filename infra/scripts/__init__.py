"""Operational scripts run around deployment (see the Makefile's deploy target)."""
