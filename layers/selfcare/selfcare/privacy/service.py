"""The `privacy` capability's logic: the notices, the categories held for a customer, the usage statistics."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from selfcare.auth.policy import Caller, require_customer, require_staff
from selfcare.errors import FieldProblem, InvalidInput
from selfcare.privacy import notice, usage
from selfcare.privacy import schemas as s
from selfcare.privacy.registry import Store
from selfcare.privacy.usage import Counter


class HeldStores(Protocol):
    def held_stores(self, customer_id: str) -> list[Store]: ...


class Counters(Protocol):
    def counters(self, days: list[str]) -> list[Counter]: ...


class PrivacyService:
    def __init__(self, stores: HeldStores, counters: Counters, operator: notice.Operator) -> None:
        self.stores = stores
        self.counters = counters
        self.operator = operator

    def public_notice(self, language: notice.Language) -> s.PrivacyNotice:
        return notice.customer_notice(language, self.operator)

    def staff_notice(self, caller: Caller, language: notice.Language) -> s.PrivacyNotice:
        require_staff(caller)
        return notice.staff_notice(language, self.operator)

    def held_categories(self, caller: Caller, language: notice.Language) -> s.PrivacyHeldCategories:
        customer_id = require_customer(caller)
        return notice.held_categories(self.stores.held_stores(customer_id), language)

    def statistics(self, caller: Caller, start: date, end: date) -> list[Counter]:
        """The counters of the period that staff may see (small ones suppressed)."""
        require_staff(caller)
        if end < start:
            raise InvalidInput([FieldProblem(("query", "to"), "must not be before `from`", "value_error")])
        if (end - start).days + 1 > usage.MAX_DAYS:
            raise InvalidInput(
                [FieldProblem(("query", "to"), f"the period covers at most {usage.MAX_DAYS} days", "value_error")]
            )
        return usage.shown(self.counters.counters(usage.days_between(start, end)))
