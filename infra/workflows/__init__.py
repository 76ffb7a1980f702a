"""State machine definitions (ASL), built once and used by the CDK stack and the local stack."""
