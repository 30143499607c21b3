"""Commands sent to a tenant's chargers, and what each charger's local authorization list holds."""
from __future__ import annotations

import time
from typing import Any

from chalicelib.charging.commands import Command
from chalicelib.identifiers import id_pattern
from chalicelib.store.repository import TenantScopedRepository, tenant_partition
from chalicelib.store.table import RecordItem

COMMAND_ID = id_pattern("cmd")


class CommandRepository(TenantScopedRepository[Command]):
    kind = "COMMAND"
    entity = Command

    def accepts_id(self, item_id: str) -> bool:
        return COMMAND_ID.match(item_id) is not None


class LocalListRepository:
    """Per charger: the version and entries of the local list it last accepted."""

    def __init__(self, tenant_id: str) -> None:
        self._pk = tenant_partition(tenant_id, "LOCALLIST")

    def get(self, charger_id: str) -> tuple[int, dict[str, Any]]:
        try:
            item = RecordItem.get(self._pk, charger_id, consistent_read=True)
        except RecordItem.DoesNotExist:
            return 0, {}
        data = item.data.as_dict()
        return int(data["version"]), dict(data["entries"])

    def offered(self, command_id: str, version: int, entries: dict[str, Any]) -> None:
        """The list a command offers the charger, kept apart from the command (whose request holds it
        once already) until the charger accepts it. Expires with the answer's deadline long past."""
        RecordItem(self._pk, f"OFFER#{command_id}", kind="LOCALLIST", expires_at_epoch=int(time.time()) + 86400,
                   data={"version": version, "entries": entries}).save()

    def accepted(self, charger_id: str, command_id: str) -> None:
        """The charger accepted the list the command offered: it is now the charger's."""
        try:
            offer = RecordItem.get(self._pk, f"OFFER#{command_id}", consistent_read=True)
        except RecordItem.DoesNotExist:
            return
        RecordItem(self._pk, charger_id, kind="LOCALLIST", data=offer.data.as_dict()).save()
