"""Tenants, signup, API keys and the tenant context resolved at the edge."""
