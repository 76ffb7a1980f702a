"""Retention of a terminated customer's data: the hide and anonymise steps, their schedules, the reconciliation."""
