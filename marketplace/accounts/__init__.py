"""Users, roles, registration, login and logout."""
