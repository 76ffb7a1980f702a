"""Test data: the demo world of the local stack, seeded into the test's own moto."""

from __future__ import annotations

from infra.local.resources import LocalResources
from infra.local.seed import DemoCustomer, DemoStaff, DemoWorld, seed_demo

__all__ = ["DemoCustomer", "DemoStaff", "DemoWorld", "seed_world"]


def seed_world(resources: LocalResources) -> DemoWorld:
    del resources  # the environment already names its tables
    return seed_demo(demo_bills=False)  # the billing tests write the bills they check
