"""The performance side of the PQA triangle: contract KPIs, their targets per financial year,
their monthly values, and the scorecard judged from them (shared contract kpis.md).

Part of the core: it imports nothing of evaluations or feedback."""
