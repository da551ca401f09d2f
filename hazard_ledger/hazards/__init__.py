"""The ledger: hazards, their history (a hash chain) and their photos."""
