"""The double-entry ledger: what the platform holds, earns and owes to shops and buyers."""
