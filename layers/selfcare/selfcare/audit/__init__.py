"""The audit trail's integrity: hash chains per subject, signed digests of their heads, verification."""
