"""The pure domain stays free of AWS and web frameworks: it is tested with plain data."""
import subprocess
import sys

import pytest

DOMAIN_MODULES = ["chalicelib.charging.models", "chalicelib.charging.chargers", "chalicelib.charging.tokens",
                  "chalicelib.sites.models", "chalicelib.sites.service", "chalicelib.charging.sessions",
                  "chalicelib.charging.meter", "chalicelib.charging.live", "chalicelib.charging.station",
                  "chalicelib.charging.session_reports", "chalicelib.tariffs.models",
                  "chalicelib.tariffs.periods", "chalicelib.tariffs.pricing", "chalicelib.tariffs.wording",
                  "chalicelib.billing.split", "chalicelib.billing.cdrs", "chalicelib.money"]


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_domain_module_imports_no_aws_or_web_framework(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "bad = sorted(m for m in ('boto3', 'botocore', 'pynamodb', 'chalice', 'stripe') if m in sys.modules); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
