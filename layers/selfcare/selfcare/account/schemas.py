"""Response models of the account capability (the HTTP boundary)."""

from __future__ import annotations

from pydantic import Field

from selfcare.account.models import CustomerProfile, CustomerType
from selfcare.api.schema import Schema


class AddressView(Schema):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class SalesRepresentativeView(Schema):
    name: str
    email: str | None = None
    phone: str | None = None


class AccountView(Schema):
    account_number: str
    customer_type: CustomerType
    last_name: str | None
    first_name: str | None
    company_name: str | None
    trade_name: str | None
    address: AddressView
    sales_representative: SalesRepresentativeView | None
    contact_email: str | None
    contact_mobile: str | None
    contact_landline: str | None
    service_secret_code: str = Field(description="Customer-service secret code")

    @staticmethod
    def of(profile: CustomerProfile) -> AccountView:
        rep = profile.sales_representative
        return AccountView(
            account_number=profile.account_number,
            customer_type=profile.customer_type,
            last_name=profile.last_name,
            first_name=profile.first_name,
            company_name=profile.company_name,
            trade_name=profile.trade_name,
            address=AddressView(**vars(profile.address)),
            sales_representative=SalesRepresentativeView(name=rep.name, email=rep.email, phone=rep.phone)
            if rep
            else None,
            contact_email=profile.contact_email,
            contact_mobile=profile.contact_mobile,
            contact_landline=profile.contact_landline,
            service_secret_code=profile.service_secret_code,
        )
