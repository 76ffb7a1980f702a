"""Data access: the only package (with the port adapters) that calls AWS."""
