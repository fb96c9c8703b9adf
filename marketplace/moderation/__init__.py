"""Review queue, moderation decisions, reports, suspensions, audit log."""
