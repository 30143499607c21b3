"""Where the app runs: `infra/aws/` (the AWS CDK app) and `infra/local/` (the embedded local runtime, `make dev`)."""
