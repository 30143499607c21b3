"""The AWS CDK app: everything the platform needs in an AWS account, built from the code's own definitions.

`python -m infra.aws` synthesizes it (the CDK CLI runs that through `cdk.json`); the tests synthesize it
in-process. Not deployed to Lambda.
"""
