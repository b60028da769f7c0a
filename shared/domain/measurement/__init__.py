"""Whether a campaign worked and what it may spend: goals, experiments and holdouts,
budgets, attribution."""
