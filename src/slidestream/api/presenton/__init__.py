"""The Presenton-compatible /api/v1/ppt surface, split by resource."""
