"""A driver's payment for one charge: a hosted checkout's pre-authorisation, the remote start it
pays for, the session it becomes, and the capture at the session's real cost."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class PaymentStatus(StrEnum):
    OPEN = "open"  # the checkout page is waiting for the driver
    AUTHORIZED = "authorized"  # the card holds the amount; the charger is being asked to start
    STARTING = "starting"  # the charger accepted the remote start; waiting for its transaction
    CHARGING = "charging"  # the session runs
    CAPTURED = "captured"  # billed: the session's cost captured, the rest of the hold released
    CANCELLED = "cancelled"  # nothing charged: the hold is released
    FAILED = "failed"  # billing failed; an operator looks at it

    @property
    def is_final(self) -> bool:
        return self in (PaymentStatus.CAPTURED, PaymentStatus.CANCELLED, PaymentStatus.FAILED)


class Payment(BaseModel):
    id: str
    charger_id: str
    connector: int  # as the driver's page numbers it: the charger's connectors counted EVSE by EVSE
    evse_id: int
    connector_id: int
    token_uid: str  # the ad-hoc token the remote start and the charger's transaction carry
    currency: str
    hold_amount: int  # minor units
    status: PaymentStatus = PaymentStatus.OPEN
    checkout_id: str | None = None
    checkout_url: str | None = None
    payment_intent_id: str | None = None
    email: str | None = None
    command_id: str | None = None
    session_id: str | None = None
    charge_id: str | None = None
    captured_amount: int | None = None
    cancel_reason: str | None = None
    created_at: str
    updated_at: str
