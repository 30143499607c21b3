"""`python -m infra.aws`: synthesize the stack into cdk.out (what `cdk synth` / `cdk deploy` run, see cdk.json)."""
from __future__ import annotations

from infra.aws.app import build_app

if __name__ == "__main__":
    build_app().synth()
