"""The original tool's `claude_comms.background` package."""
