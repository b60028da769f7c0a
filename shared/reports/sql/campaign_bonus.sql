-- Per campaign: the bonus it paid, points (earn ledger lines) and spins (bonus_granted rows).
SELECT rule_id,
       coalesce(sum(points), 0) AS points_awarded,
       coalesce(sum(spins), 0) AS spins_granted
FROM (
  SELECT DISTINCT row_id, rule_id, points, spins
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}'
    AND ((action = 'ledger' AND category = 'earn') OR action = 'bonus_granted')
) AS bonuses
GROUP BY rule_id
ORDER BY rule_id
