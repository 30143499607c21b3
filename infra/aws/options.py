"""What a CPO may choose at deploy time, read from CDK context (`cdk deploy -c domainName=...`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aws_cdk import aws_logs as logs

# The retention periods CloudWatch Logs accepts that a CPO is likely to want, by days.
RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH, 60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
}
MAX_FEE_BPS = 10_000  # all of the payment


class ContextSource(Protocol):
    def try_get_context(self, key: str) -> Any: ...


@dataclass(frozen=True)
class CustomDomain:
    """The chargers' host name. CloudFront only takes certificates from us-east-1, whatever the stack's region."""

    name: str
    certificate_arn: str
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None


@dataclass(frozen=True)
class DeploymentOptions:
    stack_name: str = "evcharge"
    domain: CustomDomain | None = None
    alarm_email: str | None = None
    log_retention_days: int = 30
    # The platform operator's fee on every captured payment, in basis points (500 = 5 %): PLATFORM_FEE_BPS.
    platform_fee_bps: int = 500
    # The SES identity (a verified address or an address at a verified domain) receipts are emailed from:
    # RECEIPT_SENDER. None: drivers get their receipt on the session page only.
    receipt_sender: str | None = None

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_BY_DAYS[self.log_retention_days]

    @classmethod
    def from_context(cls, node: ContextSource) -> DeploymentOptions:
        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            return str(value) if value not in (None, "") else None

        domain_name, certificate_arn = text("domainName"), text("certificateArn")
        if (domain_name is None) != (certificate_arn is None):
            raise ValueError("a custom domain needs both domainName and certificateArn (us-east-1)")
        zone_id, zone_name = text("hostedZoneId"), text("hostedZoneName")
        if (zone_id is None) != (zone_name is None):
            raise ValueError("a hosted zone needs both hostedZoneId and hostedZoneName")
        if zone_id and not domain_name:
            raise ValueError("hostedZoneId is only used with domainName")
        domain = (
            CustomDomain(domain_name, certificate_arn, zone_id, zone_name)
            if domain_name and certificate_arn else None
        )
        retention_days = int(text("logRetentionDays") or cls.log_retention_days)
        if retention_days not in RETENTION_BY_DAYS:
            raise ValueError(f"logRetentionDays must be one of {sorted(RETENTION_BY_DAYS)}")
        fee = text("platformFeeBps")
        if fee is not None and not (fee.isdigit() and int(fee) <= MAX_FEE_BPS):
            raise ValueError(f"platformFeeBps must be a whole number of basis points from 0 to {MAX_FEE_BPS}")
        return cls(
            stack_name=text("stackName") or cls.stack_name,
            platform_fee_bps=int(fee) if fee is not None else cls.platform_fee_bps,
            domain=domain,
            alarm_email=text("alarmEmail"),
            log_retention_days=retention_days,
            receipt_sender=_email(text("receiptSender")),
        )


def _email(value: str | None) -> str | None:
    if value is not None and (value.count("@") != 1 or not all(value.split("@"))):
        raise ValueError("receiptSender must be an email address (an SES identity, or at a verified domain)")
    return value
