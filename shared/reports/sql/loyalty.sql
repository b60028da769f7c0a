-- Active players, and those who earned loyalty points in the period.
WITH active AS (
  SELECT DISTINCT player_id
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({activity_types})
), earners AS (
  SELECT DISTINCT player_id
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'ledger' AND category = 'earn'
)
SELECT count(*) AS active_players,
       count(earners.player_id) AS participants
FROM active LEFT JOIN earners ON earners.player_id = active.player_id
