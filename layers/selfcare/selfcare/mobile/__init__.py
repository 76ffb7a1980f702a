"""Capability `mobile`: the customer's mobile lines (suspension and reactivation live in `suspension`)."""
