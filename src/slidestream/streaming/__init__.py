"""SSE framing, stream readers, resume positions and notification channels."""
