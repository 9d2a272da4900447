"""The outline -> structure -> slide content pipeline."""
