"""Service-neutral pieces of the ARM fake: HTTP shapes, routing, errors, ETags, LROs, faults."""
