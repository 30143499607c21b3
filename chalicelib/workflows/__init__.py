"""Step Functions workflows: their ASL definitions (`*.asl.json`, deployed by the CDK app and run on moto
locally) and the adapter functions use to start them."""
