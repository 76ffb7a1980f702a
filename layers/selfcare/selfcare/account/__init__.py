"""Account and assistance: the customer's record as the read model holds it."""
