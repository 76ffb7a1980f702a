"""Capability `internet`: internet access (ISP) and the VoIP line on the same box."""
