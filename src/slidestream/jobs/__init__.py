"""Job runner protocol and the embedded (in-process) runner."""
