"""Provisioning: creating a principal's credential and its login keys (seed, staff accounts)."""

from __future__ import annotations

from dataclasses import replace

from selfcare.auth import passwords as password_policy
from selfcare.auth.core import AuthPart, personal_identifiers
from selfcare.auth.models import (
    Credential,
)
from selfcare.clock import epoch
from selfcare.dal.dynamo import ConditionFailed
from selfcare.errors import (
    FieldProblem,
    IdentifierTaken,
    InvalidInput,
)
from selfcare.identifiers import normalize_email, normalize_phone


class Enrolment(AuthPart):
    """Creating credentials."""

    # Provisioning ------------------------------------------------------------------------------
    def enrol(self, credential: Credential, password: str) -> Credential:
        """Create a principal's credentials (customer onboarding, staff accounts, demo seed)."""
        password_policy.check_policy(password, field="password", personal=personal_identifiers(credential))
        phone = normalize_phone(credential.phone) if credential.phone else None
        if credential.phone and phone is None:
            raise InvalidInput([FieldProblem(("body", "phone"), "Not a valid phone number.", "invalid_phone")])
        professional_email = credential.professional_email
        stored = replace(
            credential,
            phone=phone,
            email=normalize_email(credential.email) if credential.email else None,
            professional_email=normalize_email(professional_email) if professional_email else None,
            password_hash=self.passwords.hash(password),
            password_changed_at=epoch(self.clock.now()),
        )
        try:
            self.credentials.create(stored)
        except ConditionFailed:
            raise IdentifierTaken() from None
        return stored
