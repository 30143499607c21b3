"""Structured JSON logging (Powertools Logger). Log records carry tenant and request ids, never secrets:
request bodies, headers and issued credentials are not logged anywhere."""
from __future__ import annotations

import os

from aws_lambda_powertools import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "evcharge"), utc=True)
