"""OCPP-J over API Gateway WebSocket: frames, schema validation, and one adapter per protocol version."""
