"""Answering a retried CALL as the first time (Powertools idempotency, keyed per tenant and charger).

A charger that gets no answer sends the same CALL again with the same message id. For the actions
whose record carries no key of the charger's (a DataTransfer, a firmware status: only the time the
platform received them), the first answer is recorded and a retry gets it back without running again.
The record is keyed by tenant, charger, message id, action and payload, and kept for minutes only:
chargers restart their message ids after a reboot, and a different message under an old id is new.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.store.idempotency import persistence_layer

# A charger resends a CALL within seconds to minutes; longer, and a charger that restarted its message
# ids would get an old answer for a new message.
REPLY_TTL_S = 10 * 60


class ReplayInProgress(Exception):
    """The same CALL is being answered right now (a retry overtook the first try): answer nothing,
    the first try's answer is on its way and the charger will resend if it is lost."""


class _UnknownDeadline:
    """Outside Lambda (the local gateway) there is no deadline; Powertools needs one so that an answer
    interrupted half-way does not block its retries until the record expires."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return LOCAL_DEADLINE_MS


LOCAL_DEADLINE_MS = 30_000


def answer_once(
    key: dict[str, Any], answer: Callable[[], dict[str, Any]], lambda_context: Any = None,
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    config = IdempotencyConfig(expires_after_seconds=REPLY_TTL_S, use_local_cache=True)
    config.register_lambda_context(lambda_context if lambda_context is not None else _UnknownDeadline())  # type: ignore[arg-type]

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="call", persistence_store=persistence_layer(), config=config,
    )
    def ocpp_call(call: dict[str, Any]) -> dict[str, Any]:
        return answer()

    try:
        answered: dict[str, Any] = ocpp_call(call=key)
        return answered
    except IdempotencyAlreadyInProgressError:
        raise ReplayInProgress from None
