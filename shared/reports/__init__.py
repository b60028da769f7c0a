"""KPI reports over the event lake: one set of SQL (DuckDB locally, Athena in AWS)."""
