-- One touch per (player, rule, triggering event), however many channels it used.
SELECT player_id, rule_id, event_id, min(occurred_at) AS touched_at
FROM decisions
WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'send'
GROUP BY player_id, rule_id, event_id
