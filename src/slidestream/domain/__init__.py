"""Pydantic models of presentations, outlines, layouts, slides and stream events."""
