-- Per campaign: points awarded (earn ledger lines), the bonus cost in points.
SELECT rule_id, sum(points) AS points_awarded
FROM (
  SELECT DISTINCT row_id, rule_id, points
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'ledger' AND category = 'earn'
) AS earns
GROUP BY rule_id
ORDER BY rule_id
