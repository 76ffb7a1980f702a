"""Capability `crm_outbox`: the relay of the transactional outbox (selfcare.dal.crm_outbox) to the CRM bus."""
