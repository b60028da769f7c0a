"""What marketers write on top of the language: rules (with their limits, budgets,
experiments and goals) and segments."""
