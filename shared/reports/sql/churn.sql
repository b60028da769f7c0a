-- Active players (any activity) and those whose last activity is 30+ days before date_to.
WITH last_seen AS (
  SELECT player_id, max(CAST(occurred_at AS DATE)) AS last_day
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({activity_types})
  GROUP BY player_id
)
SELECT count(*) AS active_players,
       count(CASE WHEN date_diff('day', last_day, DATE '{date_to}') >= 30 THEN 1 END) AS churned
FROM last_seen
