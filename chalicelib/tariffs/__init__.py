"""Tariffs: the OCPI 2.2.1 tariff model, the session's charging periods and the pricing engine (pure)."""
