-- Registered players and the revenue (deposits, purchases) they brought so far.
WITH reg AS (
  SELECT DISTINCT player_id
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type = 'player.registered'
), revenue AS (
  SELECT DISTINCT event_id, player_id, amount
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({revenue_types})
)
SELECT (SELECT count(*) FROM reg) AS players,
       coalesce(sum(revenue.amount), 0) AS revenue
FROM revenue JOIN reg ON reg.player_id = revenue.player_id
