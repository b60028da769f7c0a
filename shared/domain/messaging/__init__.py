"""Messages: templates and their lint, and the delivery log a send is checked against
(consent, caps, quiet hours, duplicate window)."""
