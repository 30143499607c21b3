"""Which tenant and charger each open WebSocket connection belongs to.

A frame arrives with nothing but its connection id, so `$connect` records the connection under a
global key (like the other edge lookups) and every later frame resolves it here. A connection never
changes its tenant, charger or protocol, so the lookup is cached for the container's life: a warm
container resolves a frame with no read.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import asdict, dataclass

from chalicelib.store.table import RecordItem

_KIND = "CONN"
# API Gateway closes a connection after 2 hours; the record outlives it a little, then TTL removes it.
_RECORD_TTL_S = 3 * 3600
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class ConnectionInfo:
    connection_id: str
    tenant_id: str
    tenant_slug: str
    charger_id: str
    protocol: str
    connected_at: str
    is_reconnect: bool = False  # the charger had connected before: ask it for fresh statuses


class ConnectionRegistry:
    def __init__(self) -> None:
        self._cache: OrderedDict[str, ConnectionInfo] = OrderedDict()

    def record(self, info: ConnectionInfo) -> None:
        RecordItem(
            f"{_KIND}#{info.connection_id}", _KIND, kind=_KIND, data=asdict(info),
            expires_at_epoch=int(time.time()) + _RECORD_TTL_S,
        ).save()
        self._remember(info)

    def resolve(self, connection_id: str) -> ConnectionInfo | None:
        cached = self._cache.get(connection_id)
        if cached is not None:
            self._cache.move_to_end(connection_id)
            return cached
        try:
            item = RecordItem.get(f"{_KIND}#{connection_id}", _KIND, consistent_read=True)
        except RecordItem.DoesNotExist:
            return None
        info = ConnectionInfo(**item.data.as_dict())
        self._remember(info)
        return info

    def forget(self, connection_id: str) -> None:
        self._cache.pop(connection_id, None)
        RecordItem(f"{_KIND}#{connection_id}", _KIND).delete()

    def _remember(self, info: ConnectionInfo) -> None:
        self._cache[info.connection_id] = info
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
