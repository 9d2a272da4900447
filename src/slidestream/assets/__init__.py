"""Slide assets: images (providers, safe download, storage) and icons (bundled set)."""
