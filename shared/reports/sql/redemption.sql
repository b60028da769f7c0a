-- Points awarded and points redeemed (spent) in the period.
SELECT coalesce(sum(CASE WHEN category = 'earn' THEN points END), 0) AS awarded,
       coalesce(-sum(CASE WHEN category = 'spend' THEN points END), 0) AS redeemed
FROM (
  SELECT DISTINCT row_id, category, points
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'ledger'
) AS lines
