-- Players of each registration week (UTC, Monday) active in week N after registering.
WITH reg AS (
  SELECT player_id, min(CAST(occurred_at AS DATE)) AS reg_day
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type = 'player.registered'
  GROUP BY player_id
), act AS (
  SELECT DISTINCT player_id, CAST(occurred_at AS DATE) AS day
  FROM events
  WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({activity_types})
)
SELECT CAST(CAST(date_trunc('week', reg.reg_day) AS DATE) AS VARCHAR) AS cohort,
       CAST(floor(date_diff('day', reg.reg_day, act.day) / 7.0) AS INTEGER) AS week,
       count(DISTINCT act.player_id) AS active
FROM reg JOIN act ON act.player_id = reg.player_id AND act.day >= reg.reg_day
GROUP BY 1, 2
UNION ALL
SELECT CAST(CAST(date_trunc('week', reg_day) AS DATE) AS VARCHAR) AS cohort,
       -1 AS week, count(*) AS active
FROM reg
GROUP BY 1
ORDER BY 1, 2
