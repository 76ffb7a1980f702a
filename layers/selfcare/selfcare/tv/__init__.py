"""Capability `tv`: TV offer, boxes, login and password, packs, VOD consumption and its PDF export."""
