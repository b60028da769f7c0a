"""The condition and action language rules are written in: EventBridge-style patterns and
their compiled automaton, which document fields patterns read, action specs, and how a
validation error is told to a marketer."""
