"""Satja's data: the member registry, the double-entry ledger and their database."""
