"""The CRM projection: events of the operator's CRM and billing systems -> the read model."""
