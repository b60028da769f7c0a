"""Sending: consent, caps, quiet hours and deferral in a decision; money formatting."""
