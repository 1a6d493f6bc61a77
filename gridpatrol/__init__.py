"""gridpatrol: the ground station program (configuration, command line, runtime)."""

__version__ = "0.1.0"
