"""Loudspeaker warnings: speech synthesis with espeak-ng and sinks that play or store the audio."""
