"""What marketers write and how it is checked and compiled: rules and actions, event
patterns and their automaton, segments, templates and their lint, config snapshots."""
