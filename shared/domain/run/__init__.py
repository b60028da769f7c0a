"""The decision: `decide` (the orchestrator) over one module of functions per concern
(`run_<concern>.py`), each taking the `DecisionContext`. The only package that composes
the others; docs/design.md ("The decision core, concern by concern") draws its calls."""
