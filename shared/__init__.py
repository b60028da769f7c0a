"""Code every function shares: the pure domain core, adapters and services."""
