"""The decision: `decide` and the run it assembles from one mixin per concern
(`run_<concern>.py`), over `run_base`. The only package that composes the others."""
