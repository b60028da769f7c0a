-- Players sent marketing, and those of them who then withdrew a channel consent.
WITH marketed AS (
  SELECT player_id, min(occurred_at) AS first_at
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'send' AND category = 'marketing'
  GROUP BY player_id
), withdrew AS (
  SELECT DISTINCT player_id, occurred_at
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}'
    AND detail_type = 'player.consent_changed' AND detail LIKE '%"granted":false%'
)
SELECT (SELECT count(*) FROM marketed) AS marketed,
       count(DISTINCT withdrew.player_id) AS unsubscribed
FROM withdrew JOIN marketed
  ON marketed.player_id = withdrew.player_id AND withdrew.occurred_at > marketed.first_at
