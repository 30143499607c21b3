"""OCPP 2.0.1: charger-to-platform messages translated to the version-neutral station service."""
