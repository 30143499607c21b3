"""The embedded local runtime: `make dev` runs the whole platform on one machine, no AWS account needed."""
