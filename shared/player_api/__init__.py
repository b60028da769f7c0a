"""The player API: what the operator's backend reads and changes for one player (the inbox)."""
