"""Vision: people, masks, crowds and geolocation from the drone's camera."""
