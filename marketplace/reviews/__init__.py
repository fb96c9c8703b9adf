"""Buyers' ratings of what they received, producers' answers, and admins hiding what breaks the rules."""
