"""What a decision reads and returns: the player state (and its working copy), the config
snapshot, the reorder hold, and how two players' states merge."""
