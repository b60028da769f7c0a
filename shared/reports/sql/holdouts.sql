-- The control arm: when each held-out player would first have been touched by the rule.
SELECT player_id, rule_id, min(occurred_at) AS held_at
FROM decisions
WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'held_out'
GROUP BY player_id, rule_id
