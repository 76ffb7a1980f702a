"""Anonymisation of the VOD titles' references: HMAC-SHA256 under a secret key.

Where: at ingestion, when a view enters the read model (`TvService.record_vod_views`, called by the
projection of the VOD platform's consumption and by the local demo seed). The raw reference is
never written to the Customers table, so no read, backup, export or log of the read model can
carry it, and the API serves only what is stored.
Why keyed: a plain hash of a catalogue reference is reversed by hashing the catalogue; without the
key (Secrets Manager, readable by the tv function only) the portal cannot compute or reverse it.
The customer id is part of the message, so one title gives different references for different
customers: references cannot be joined across customers (no popularity counting to guess titles).
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "vod_"


def anonymise(title_ref: str, customer_id: str, key: bytes) -> str:
    message = f"{customer_id}\x1f{title_ref}".encode()
    return PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
