"""The SMS desk: inbound.py takes a message, commands.py routes it to its handler."""
