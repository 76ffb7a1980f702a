"""Ports to outbound systems, each with its adapter(s). Logic depends on the Protocols only."""
