"""Sending to chargers through API Gateway's management API (`@connections`).

A send to a connection that has gone is normal (chargers reconnect at least every 2 hours): it is
reported as False, never raised."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.settings import settings


def management_endpoint(api_id: str, stage: str, region: str) -> str:
    """Where the management API of a WebSocket API lives (the local runtime overrides it)."""
    return settings().ws_management_url or f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


class ConnectionSender:
    def __init__(self, endpoint_url: str) -> None:
        import boto3
        from botocore.config import Config

        self._client: Any = boto3.client(
            "apigatewaymanagementapi", endpoint_url=endpoint_url, region_name=settings().region,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=5),
        )

    def send(self, connection_id: str, text: str) -> bool:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=text.encode())
        except self._client.exceptions.GoneException:
            return False
        return True

    def close(self, connection_id: str) -> bool:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except self._client.exceptions.GoneException:
            return False
        return True


@lru_cache(maxsize=4)
def sender_for(endpoint_url: str) -> ConnectionSender:
    return ConnectionSender(endpoint_url)
