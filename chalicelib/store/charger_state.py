"""The live state of a tenant's chargers, one item per charger next to its configuration.

Written with single UpdateItem calls and no read, because every OCPP frame may touch it: the connection
of the moment, last seen, boot data, connector statuses (a status older than the one stored is kept out
by a condition on its timestamp) and the session running on each connector.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.charging.live import ChargerLive, ConnectorStatus
from chalicelib.store.repository import tenant_partition
from chalicelib.store.table import TableView

_KIND = "CHARGERSTATE"


class ChargerStateItem(TableView):
    kind = UnicodeAttribute(null=True)
    connection_id = UnicodeAttribute(null=True)
    protocol = UnicodeAttribute(null=True)
    connected_at = UnicodeAttribute(null=True)
    disconnected_at = UnicodeAttribute(null=True)
    last_seen = UnicodeAttribute(null=True)
    boot: MapAttribute[str, Any] = MapAttribute(null=True)
    booted_at = UnicodeAttribute(null=True)
    connectors: MapAttribute[str, Any] = MapAttribute(null=True)
    active_sessions: MapAttribute[str, Any] = MapAttribute(null=True)
    firmware_status = UnicodeAttribute(null=True)
    diagnostics_status = UnicodeAttribute(null=True)
    status_refreshed_for = UnicodeAttribute(null=True)  # the connection whose statuses were asked for


_S = ChargerStateItem
_MAPS = (_S.connectors, _S.active_sessions)


class ChargerStateRepository:
    def __init__(self, tenant_id: str) -> None:
        self._pk = tenant_partition(tenant_id, _KIND)

    def _item(self, charger_id: str) -> ChargerStateItem:
        return ChargerStateItem(self._pk, charger_id)

    def _update(self, charger_id: str, actions: list[Any], condition: Any = None) -> None:
        """An UpdateItem that asks for nothing back (PynamoDB's Model.update reads the whole item back,
        which every frame would pay for)."""
        ChargerStateItem._get_connection().update_item(self._pk, charger_id, actions=actions, condition=condition)

    def get(self, charger_id: str) -> ChargerLive:
        try:
            item = ChargerStateItem.get(self._pk, charger_id, consistent_read=True)
        except ChargerStateItem.DoesNotExist:
            return ChargerLive()
        return _live(item)

    def get_many(self, charger_ids: Sequence[str]) -> dict[str, ChargerLive]:
        """The live state of several chargers in one round trip (a page of the charger list)."""
        found = {item.sk: _live(item) for item in ChargerStateItem.batch_get(
            [(self._pk, charger_id) for charger_id in dict.fromkeys(charger_ids)], consistent_read=True,
        )}
        return {charger_id: found.get(charger_id, ChargerLive()) for charger_id in charger_ids}

    def replace_connection(self, charger_id: str, connection_id: str, protocol: str,
                           at: str) -> tuple[str | None, bool]:
        """Make this the charger's connection (the newest wins). Returns the connection it replaced, if
        any, and whether the charger had connected before (a reconnect)."""
        # The table connection, not the model: only it answers the attributes as they were before.
        raw = ChargerStateItem._get_connection().update_item(
            self._pk, charger_id,
            actions=[
                _S.kind.set(_KIND), _S.connection_id.set(connection_id), _S.protocol.set(protocol),
                _S.connected_at.set(at), _S.last_seen.set(at),
                *(attr.set(attr | {}) for attr in _MAPS),
            ],
            return_values="UPDATED_OLD",
        )
        before = raw.get("Attributes", {})
        old = before.get("connection_id", {}).get("S")
        return (None if old == connection_id else old), "connected_at" in before

    def claim_status_refresh(self, charger_id: str, connection_id: str) -> bool:
        """True once per connection (whichever container asks first): who asks the charger for fresh
        statuses after it reconnected."""
        try:
            self._update(charger_id,
                actions=[_S.status_refreshed_for.set(connection_id)],
                condition=_S.status_refreshed_for.does_not_exist() | (_S.status_refreshed_for != connection_id),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def disconnected(self, charger_id: str, connection_id: str, at: str) -> bool:
        """Mark the charger offline if this was its current connection; False when a newer one took over."""
        try:
            self._update(charger_id,
                actions=[_S.connection_id.remove(), _S.disconnected_at.set(at)],
                condition=_S.connection_id == connection_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # What a connected charger reports changes its state only while the state exists: `$connect` makes
    # it, and deleting the charger removes it, so a late frame of a deleted charger cannot bring it back
    # for a charger later registered under the same id.
    def seen(self, charger_id: str, at: str) -> None:
        self._update_existing(charger_id, [_S.last_seen.set(at)])

    def booted(self, charger_id: str, boot: dict[str, str], at: str) -> None:
        self._update_existing(charger_id, [_S.boot.set(boot), _S.booted_at.set(at), _S.last_seen.set(at)])

    def firmware(self, charger_id: str, status: str) -> None:
        self._update_existing(charger_id, [_S.firmware_status.set(status)])

    def diagnostics(self, charger_id: str, status: str) -> None:
        self._update_existing(charger_id, [_S.diagnostics_status.set(status)])

    def _update_existing(self, charger_id: str, actions: list[Any]) -> bool:
        try:
            self._update(charger_id, actions=actions, condition=_S.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def report_status(self, charger_id: str, key: str, status: ConnectorStatus) -> bool:
        """Keep the status unless a newer one is stored; False when it was older (a replay)."""
        slot = _S.connectors[key]
        newer_or_none = slot.does_not_exist() | (slot["timestamp"] <= status.timestamp)
        return self._set_in_map(charger_id, _S.connectors, key, status.model_dump(exclude_none=True),
                                condition=newer_or_none)

    def session_started(self, charger_id: str, key: str, session_id: str) -> None:
        self._set_in_map(charger_id, _S.active_sessions, key, session_id)

    def session_ended(self, charger_id: str, key: str, session_id: str) -> None:
        """Clear the connector's session if it is still this one (a newer session keeps its place)."""
        try:
            self._update(charger_id,
                actions=[_S.active_sessions[key].remove()],
                condition=_S.active_sessions[key] == session_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code not in {"ConditionalCheckFailedException", "ValidationException"}:
                raise

    def delete(self, charger_id: str) -> None:
        self._item(charger_id).delete()

    def _set_in_map(self, charger_id: str, attr: MapAttribute[str, Any], key: str, value: Any,
                    condition: Any = None) -> bool:
        exists = _S.pk.exists()
        for _ in range(2):
            try:
                self._update(charger_id, actions=[attr[key].set(value)],
                             condition=exists if condition is None else exists & condition)
                return True
            except UpdateError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    return False
                if exc.cause_response_code != "ValidationException":
                    raise
                # The map does not exist yet (a charger seen before its state item had it): create it.
                if not self._update_existing(charger_id, [attr.set(attr | {})]):
                    return False
        return False


def _live(item: ChargerStateItem) -> ChargerLive:
    data = {k: v for k, v in item.attribute_values.items() if k not in {"pk", "sk", "kind"}}
    for name in ("boot", "connectors", "active_sessions"):
        if name in data:
            data[name] = data[name].as_dict()
    return ChargerLive.model_validate(data)
