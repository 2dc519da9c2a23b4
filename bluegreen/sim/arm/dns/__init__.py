"""Fake DNS: Private DNS (Microsoft.Network/privateDnsZones) and public DNS (Microsoft.Network/dnsZones).

Both share one model (zones holding record sets with ETags, synchronous writes); only the wire casing
differs, which lives in `wire.py`.
"""
