-- Per campaign, budget and hour: the first refusal and how many, from which the report finds
-- when each budget period ran out (the period is the budget's own, in its time zone).
SELECT rule_id, reason, date_trunc('hour', occurred_at) AS hour,
       min(occurred_at) AS first_at, count(*) AS refusals
FROM (
  SELECT DISTINCT row_id, rule_id, reason, occurred_at
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}'
    AND action = 'suppression' AND reason IN ('budget_campaign', 'budget_player')
) AS refusals
GROUP BY rule_id, reason, date_trunc('hour', occurred_at)
ORDER BY rule_id, reason, hour
