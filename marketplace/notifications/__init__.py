"""Emails to buyers and producers about their orders: an outbox written with the change, sent after commit."""
