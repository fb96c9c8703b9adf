"""Producer shops: profile, public page, producer dashboard."""
