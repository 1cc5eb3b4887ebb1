"""The central collector: ingest API, store, rollups, dashboard and reports (DESIGN.md section 2)."""
