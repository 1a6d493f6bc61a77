"""``python -m gridpatrol`` runs the command line."""

from gridpatrol.cli import main

main()
