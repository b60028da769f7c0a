-- Marketing sends to lapsed players (14+ days since their last activity) and how many of
-- those players were active again within 7 days of the send (days in UTC).
WITH act AS (
  SELECT DISTINCT player_id, CAST(occurred_at AS DATE) AS day
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({activity_types})
), sends AS (
  SELECT DISTINCT player_id, CAST(occurred_at AS DATE) AS day
  FROM decisions
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'send' AND category = 'marketing'
), around AS (
  SELECT sends.player_id, sends.day,
         max(CASE WHEN act.day < sends.day THEN act.day END) AS prev_day,
         min(CASE WHEN act.day >= sends.day THEN act.day END) AS next_day
  FROM sends JOIN act ON act.player_id = sends.player_id
  GROUP BY sends.player_id, sends.day
)
SELECT count(DISTINCT CASE WHEN date_diff('day', prev_day, day) >= 14 THEN player_id END)
         AS lapsed_targeted,
       count(DISTINCT CASE WHEN date_diff('day', prev_day, day) >= 14
                            AND date_diff('day', day, next_day) <= 7 THEN player_id END)
         AS reactivated
FROM around
