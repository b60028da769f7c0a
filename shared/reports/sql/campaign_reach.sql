-- Per campaign (rule): distinct players messaged or rewarded (points or spins).
SELECT rule_id, count(DISTINCT player_id) AS reach
FROM decisions
WHERE dt BETWEEN '{date_from}' AND '{date_to}'
  AND action IN ('send', 'ledger', 'bonus_granted') AND rule_id IS NOT NULL
GROUP BY rule_id
ORDER BY rule_id
