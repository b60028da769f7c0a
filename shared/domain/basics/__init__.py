"""The bottom layer: local calendar dates and DST-correct midnights, ISO durations, money
formatting. Imports nothing else of the domain."""
