"""Test data: the demo world of the local stack, seeded into the test's own moto."""

from __future__ import annotations

from infra.local.resources import LocalResources
from infra.local.seed import DemoCustomer, DemoStaff, DemoWorld, demo_request_id, seed_demo

__all__ = ["DemoCustomer", "DemoStaff", "DemoWorld", "grant_conditions", "seed_world"]


def grant_conditions(customer_id: str) -> dict[str, str]:
    """What an assisted-access grant names to meet every role's condition: an incident (production / test team)
    and the customer's open request (customer-service staff), seeded for each demo customer."""
    return {"incident_reference": "INC-000001", "ticket_id": demo_request_id(customer_id)}


def seed_world(resources: LocalResources) -> DemoWorld:
    del resources  # the environment already names its tables
    return seed_demo(demo_bills=False)  # the billing tests write the bills they check
