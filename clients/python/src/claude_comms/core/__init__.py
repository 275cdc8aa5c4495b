"""The original tool's `claude_comms.core` package."""
