"""Loudspeaker warnings for gridpatrol (issue 5): speech synthesis to WAV files."""
