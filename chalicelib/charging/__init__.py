"""Charging domain: charge points, EVSEs and connectors, tokens (and later sessions)."""
