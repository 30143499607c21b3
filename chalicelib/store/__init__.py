"""DynamoDB persistence: the single table and the repositories over it."""
