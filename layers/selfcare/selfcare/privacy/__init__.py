"""Personal data: the registry of every store (registry.py)."""
