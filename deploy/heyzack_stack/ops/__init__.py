"""`heyzack-ops`: what operators do to a running platform (docs/operations.md is the runbook)."""
