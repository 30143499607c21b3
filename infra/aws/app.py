"""Building the CDK app: the one stack, configured from CDK context."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.aws.options import DeploymentOptions
from infra.aws.stack import PROJECT_DIR, PlatformStack


def build_app(*, outdir: str | None = None, context: dict[str, Any] | None = None,
              project_dir: Path = PROJECT_DIR, workflows_dir: Path | None = None) -> cdk.App:
    app = cdk.App(outdir=outdir, context=context)
    options = DeploymentOptions.from_context(app.node)
    # The stack is environment-agnostic (region and account come from the deploying credentials), so synthesis
    # needs no AWS account.
    PlatformStack(app, options.stack_name, options=options, project_dir=project_dir, workflows_dir=workflows_dir)
    return app
