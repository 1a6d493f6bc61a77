"""Vision: people, crowds and face masks in drone video, placed on the map (see docs/vision.md)."""
