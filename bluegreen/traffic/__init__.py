"""Traffic routers and the stepwise shift between blue and green.

A router is what decides where clients go: a DNS record (all or nothing), or the
weights of Traffic Manager endpoints, Front Door origins or HTTPRoute backendRefs. Every router is used
the same way: observe the current split, plan a move to a target split, apply it
(refusing a state that changed since the plan), verify it by reading it back,
and undo it by moving back to all-blue.
"""
