"""``python -m smtpdiag`` runs the command line."""

from .cli import main

main()
