"""The optional custom domain (CDK context), on the edge construct in a stack of its own."""
from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.aws.edge import ChargerEdge
from infra.aws.options import CustomDomain, DeploymentOptions

CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"


class Context:
    def __init__(self, **values: str) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


def edge_template(domain: CustomDomain | None) -> tuple[ChargerEdge, dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "edge")
    edge = ChargerEdge(stack, "Edge", websocket_origin_domain="abc123.execute-api.eu-west-1.amazonaws.com",
                       stage="api", domain=domain)
    return edge, dict(Template.from_stack(stack).to_json())


def test_without_a_domain_chargers_use_the_distributions_own_domain() -> None:
    _, template = edge_template(None)
    (distribution_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::CloudFront::Distribution"]
    assert "Aliases" not in template["Resources"][distribution_id]["Properties"]["DistributionConfig"]
    assert DeploymentOptions.from_context(Context()).domain is None


def test_a_domain_is_served_with_its_certificate_and_chargers_are_told_its_url() -> None:
    domain = CustomDomain("ocpp.volt.example", CERTIFICATE)
    edge, template = edge_template(domain)
    (distribution,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Distribution"]
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["ocpp.volt.example"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert edge.ocpp_base_url == "wss://ocpp.volt.example/ocpp"
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::Route53::RecordSet"]


def test_with_a_hosted_zone_the_domain_gets_ipv4_and_ipv6_alias_records() -> None:
    _, template = edge_template(CustomDomain("ocpp.volt.example", CERTIFICATE, "Z0123456789", "volt.example"))
    records = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Route53::RecordSet"]
    assert sorted(r["Type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["HostedZoneId"] == "Z0123456789"
        assert record["Name"] == "ocpp.volt.example."
        assert "AliasTarget" in record


def test_context_builds_the_domain_and_refuses_half_a_configuration() -> None:
    options = DeploymentOptions.from_context(Context(
        domainName="ocpp.volt.example", certificateArn=CERTIFICATE, hostedZoneId="Z1", hostedZoneName="volt.example",
        alarmEmail="ops@volt.example", logRetentionDays="90"))
    assert options.domain == CustomDomain("ocpp.volt.example", CERTIFICATE, "Z1", "volt.example")
    assert options.alarm_email == "ops@volt.example"
    assert options.log_retention_days == 90
    for half in ({"domainName": "ocpp.volt.example"}, {"certificateArn": CERTIFICATE},
                 {"domainName": "x.example", "certificateArn": CERTIFICATE, "hostedZoneId": "Z1"},
                 {"hostedZoneId": "Z1", "hostedZoneName": "volt.example"}, {"logRetentionDays": "31"}):
        with pytest.raises(ValueError):
            DeploymentOptions.from_context(Context(**half))
