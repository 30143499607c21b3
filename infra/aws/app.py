"""Building the CDK app: the one stack, configured from CDK context."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.aws.options import DeploymentOptions
from infra.aws.stack import PROJECT_DIR, PlatformStack


def build_app(*, outdir: str | None = None, context: dict[str, Any] | None = None,
              project_dir: Path = PROJECT_DIR, workflows_dir: Path | None = None) -> cdk.App:
    # `chalice package` asks boto3 for a region to name AWS service principals; the template itself stays
    # region-agnostic. The CDK CLI tells the region it deploys to in CDK_DEFAULT_REGION.
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("CDK_DEFAULT_REGION") or "us-east-1"
    app = cdk.App(outdir=outdir, context=context)
    options = DeploymentOptions.from_context(app.node)
    # The stack is environment-agnostic (region and account come from the deploying credentials), so synthesis
    # needs no AWS account.
    PlatformStack(app, options.stack_name, options=options, project_dir=project_dir, workflows_dir=workflows_dir)
    return app
