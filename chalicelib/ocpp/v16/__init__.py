"""OCPP 1.6J: charger-to-platform messages translated to the version-neutral station service."""
