"""Backtest and simulate: replay a history through the pure decision core on a virtual clock.

See docs/backtest.md. Nothing in this package performs I/O against the live system: it reads
lake files (or generates a synthetic history), decides in memory and reports.
"""
