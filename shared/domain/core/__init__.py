"""The decision itself: `decide`, the run it assembles, the player state and its copy,
timers, the hold and reorder window. Everything else in `shared.domain` is a concern the
run calls."""
