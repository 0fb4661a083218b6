"""The read-only feed for the trust's own BI (docs/feed.md): each table an app registers with
pqa.registry.feed_table, served at /api/feed/TABLE.csv and TABLE.json to a bearer token."""
