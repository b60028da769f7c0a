"""Gamification: points and their lots, tiers, badges, missions, leaderboards, wheels, the
reward store, and the game config that holds them."""
