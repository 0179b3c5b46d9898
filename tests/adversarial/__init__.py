"""The adversarial suite (issue 10): hostile, broken and concurrent input, through the CLI only."""
