"""Fake Azure Front Door Standard/Premium (Microsoft.Cdn): origin groups and origins, long-running writes."""
