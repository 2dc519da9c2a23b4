"""Fake Traffic Manager: profiles and their endpoints (weights, status), synchronous writes."""
