"""Gamification: points and their ledger, tiers, badges, missions, leaderboards, wheels and
the reward store."""
