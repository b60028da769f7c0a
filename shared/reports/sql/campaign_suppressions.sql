-- Per campaign: suppressions and holdouts by reason code.
SELECT rule_id, action, reason, count(DISTINCT row_id) AS times
FROM decisions
WHERE dt BETWEEN '{date_from}' AND '{date_to}'
  AND action IN ('suppression', 'held_out') AND rule_id IS NOT NULL
GROUP BY rule_id, action, reason
ORDER BY rule_id, action, reason
