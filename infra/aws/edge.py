"""CloudFront in front of the WebSocket API, so chargers connect to wss://{host}/ocpp/{tenant}/{cp}.

API Gateway cannot route on a path after the stage: a CloudFront Function (infra/cloudfront/ocpp_rewrite.js)
turns the path into `?tenant=..&cp=..`, and the origin path adds the stage.

Headers: the charger's `Authorization` (HTTP Basic) and `Sec-WebSocket-Protocol` must reach `$connect`, as
must the handshake's `Sec-WebSocket-Key`, `-Version` and `-Extensions`. CloudFront refuses a custom origin
request policy that lists `Authorization` (it returns 400 at deploy time), and API Gateway refuses a foreign
`Host`. The managed AllViewerExceptHostHeader policy forwards every viewer header but `Host`, and every query
string and cookie, which is exactly that. Nothing is cached.

The REST API is not behind this distribution: the REST handler needs OCPP_BASE_URL (a charger's URL is in the
answer to its registration), so the distribution's domain must not depend on the REST API, whose definition
references that handler.
"""
from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.aws.options import CustomDomain

REWRITE_FUNCTION_FILE = Path(__file__).resolve().parent.parent / "cloudfront" / "ocpp_rewrite.js"
OCPP_PATH = "/ocpp"


class ChargerEdge(Construct):
    """The distribution chargers connect to. Every path other than /ocpp/{tenant}/{cp} is a 404 at the edge."""

    def __init__(self, scope: Construct, construct_id: str, *, websocket_origin_domain: str, stage: str,
                 domain: CustomDomain | None) -> None:
        super().__init__(scope, construct_id)
        self.rewrite = cloudfront.Function(
            self, "OcppPathRewrite",
            code=cloudfront.FunctionCode.from_file(file_path=str(REWRITE_FUNCTION_FILE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="/ocpp/{tenant}/{cp} -> the WebSocket API stage with ?tenant=..&cp=..",
        )
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="evcharge: the chargers' OCPP WebSocket endpoint",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(websocket_origin_domain, origin_path=f"/{stage}",
                                          protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                function_associations=[cloudfront.FunctionAssociation(
                    function=self.rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                )],
            ),
            domain_names=[domain.name] if domain else None,
            certificate=(acm.Certificate.from_certificate_arn(self, "Certificate", domain.certificate_arn)
                         if domain else None),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.host = domain.name if domain else self.distribution.distribution_domain_name
        if domain and domain.hosted_zone_id and domain.hosted_zone_name:
            self._alias_records(domain)

    def _alias_records(self, domain: CustomDomain) -> None:
        assert domain.hosted_zone_id and domain.hosted_zone_name
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name,
        )
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        route53.ARecord(self, "AliasIpv4", zone=zone, record_name=domain.name, target=target)
        route53.AaaaRecord(self, "AliasIpv6", zone=zone, record_name=domain.name, target=target)

    @property
    def ocpp_base_url(self) -> str:
        return f"wss://{self.host}{OCPP_PATH}"
