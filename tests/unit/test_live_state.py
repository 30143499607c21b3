"""A charger's live state (pure)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.charging.live import ChargerLive
from chalicelib.clock import rfc3339


def test_a_charger_whose_disconnect_was_lost_is_offline_after_api_gateways_two_hours() -> None:
    def connected(minutes_ago: int) -> ChargerLive:
        at = rfc3339(datetime.now(UTC) - timedelta(minutes=minutes_ago))
        return ChargerLive(connection_id="c=", connected_at=at)

    assert connected(5).is_online and connected(119).is_online
    assert not connected(125).is_online
    assert not ChargerLive().is_online
