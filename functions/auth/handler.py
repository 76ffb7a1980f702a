"""Placeholder: replaced by the real handler."""
