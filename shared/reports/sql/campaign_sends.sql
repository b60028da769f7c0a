-- Per campaign and channel: sends queued (a redelivered row counts once).
SELECT rule_id, channel, count(DISTINCT row_id) AS sends
FROM decisions
WHERE dt BETWEEN '{date_from}' AND '{date_to}' AND action = 'send'
GROUP BY rule_id, channel
ORDER BY rule_id, channel
