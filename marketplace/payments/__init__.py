"""Stripe gateway, webhook handling and the local Stripe stand-in."""
