"""The reference IDE image's agent (docs/agent-contract.md, contract version 2)."""
