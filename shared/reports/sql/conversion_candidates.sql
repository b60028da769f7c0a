-- Events of the goals' detail-types; the goal patterns are applied to `detail` afterwards.
SELECT DISTINCT player_id, event_id, detail_type, occurred_at, amount, detail
FROM events
WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND detail_type IN ({goal_types})
