"""Built-in template groups: layouts and their JSON schemas."""
