"""Preflight: everything that must hold before green is built. Reads only; its checks are its work."""

from __future__ import annotations

from bluegreen.azure.aks import NodePoolInfo
from bluegreen.azure.network import addresses_needed
from bluegreen.derive import green_body, record_label, resolve_target_version
from bluegreen.kube.apiversions import removed_api_findings
from bluegreen.observe import Observed
from bluegreen.plan import Check, StepPlan
from bluegreen.playbook import Playbook
from bluegreen.record import RunRecord
from bluegreen.traffic.split import describe as describe_split


def _minor(version: str) -> tuple[int, int]:
    parts = version.split(".")
    return int(parts[0]), int(parts[1])


def plan_preflight(pb: Playbook, obs: Observed, record: RunRecord | None = None) -> StepPlan:
    checks: list[Check] = []
    blue = obs.blue.info
    if blue is None:
        checks.append(Check("blue exists", False, f"cluster {pb.blue.name} not found in {pb.blue_rg}",
                            field="blue.name"))
    else:
        checks.append(Check("blue exists", True, f"{blue.name} in {blue.location}, Kubernetes {blue.kubernetes_version}"))
        running = blue.power_state == "Running" and blue.provisioning_state == "Succeeded"
        checks.append(
            Check("blue is running", running, f"power {blue.power_state}, provisioning {blue.provisioning_state}")
        )
        blue_pools = sorted(p.name for p in blue.node_pools)
        for name in pb.green.node_pools:
            if name not in blue_pools:
                checks.append(Check("node pool override", False,
                                    f"blue has no node pool {name!r} (it has {', '.join(blue_pools)})",
                                    field=f"green.node_pools.{name}"))
        target = resolve_target_version(pb, obs)
        offered = ", ".join(v.version for v in obs.versions if not v.is_preview) or "none"
        if target is None:
            checks.append(
                Check("target version offered", False,
                      f"{pb.green.kubernetes_version} is not offered (GA) in {blue.location}; offered: {offered}",
                      field="green.kubernetes_version")
            )
        else:
            older = _minor(target) < _minor(blue.kubernetes_version or target)
            checks.append(Check("target version offered", True, f"{pb.green.kubernetes_version} resolves to {target}"))
            checks.append(
                Check("target not older than blue", not older,
                      f"blue runs {blue.kubernetes_version}, green would run {target}",
                      field="green.kubernetes_version" if older else None)
            )
            checks.extend(_api_checks(obs, target))
            if not any(c.field for c in checks):
                checks.extend(subnet_checks(pb, obs))
    if not obs.green_rg_exists:
        checks.append(Check("green's resource group exists", False,
                            f"resource group {pb.green_rg} does not exist; create it (az group create) or fix "
                            "green.resource_group", field="green.resource_group"))
    checks.extend(_router_checks(obs) if pb.switch.weighted else _record_checks(pb, obs))
    for problem in obs.source_problems:
        checks.append(Check("workloads readable", False, problem))
    if obs.green.exists:
        checks.append(Check("green", True, f"{pb.green.name} already exists: provision adopts it if it matches"))
    return StepPlan(name="preflight", checks=tuple(checks))


def _api_checks(obs: Observed, target: str) -> list[Check]:
    findings = removed_api_findings(obs.source_objects, target)
    out = []
    for f in findings:
        where = obs.source_origins.get(f"{f.namespace or '-'}/{f.kind}/{f.name}")
        message = f.message + (f" [{where}]" if where and not f.source else "")
        out.append(Check("API versions", f.severity != "removed", message,
                         severity="error" if f.severity == "removed" else "warning"))
    if not findings:
        out.append(Check("API versions", True, f"no workload uses an API removed or deprecated by {target}"))
    return out


def _router_checks(obs: Observed) -> list[Check]:
    """A weighted router: both sides exist and blue takes all the traffic (the shift starts from there)."""
    state = obs.traffic
    if state is None or state.problem or state.setting is None:
        return [Check("router", False, state.problem if state and state.problem else "the router could not be read")]
    checks = [Check("router", True, f"{state.router}: {describe_split(state.setting)}")]
    if state.green_percent == 100:
        checks.append(Check("router sends everything to blue", True, "already sends everything to green", "warning"))
    else:
        checks.append(Check("router sends everything to blue", state.green_percent == 0,
                            f"{state.router} sends {state.green_percent}% to green"))
    return checks


def _record_checks(pb: Playbook, obs: Observed) -> list[Check]:
    sw = pb.switch
    label = record_label(pb)
    if not obs.zone_exists:
        return [Check("DNS zone exists", False, f"zone {sw.zone} not found in {pb.zone_rg}", field="switch.zone")]
    if obs.record is None and obs.record_other_type:
        return [Check("DNS record type", False, f"{sw.record}.{sw.zone} is a {obs.record_other_type} record, "
                      f"not {sw.record_type}", field="switch.record_type")]
    if obs.record is None:
        return [Check("DNS record exists", False, f"{label} not found", field="switch.record")]
    checks = [Check("DNS record exists", True, f"{label} = {', '.join(obs.record.values)} (TTL {obs.record.ttl}s)")]
    blue_value = sw.blue_value or obs.blue_value
    green_value = sw.green_value or obs.green_value
    values = list(obs.record.values)
    if green_value and values == [green_value]:
        checks.append(Check("DNS record points at blue", True, f"already points at green ({green_value})", "warning"))
    elif blue_value is None and _ingress_missing(pb, obs):
        checks.append(Check("blue's ingress Service exists", False,
                            f"blue has no Service {pb.ingress.namespace}/{pb.ingress.service}",
                            field="ingress.service"))
    elif blue_value is None:
        checks.append(Check("DNS record points at blue", False, "blue's ingress address is unknown "
                            f"(Service {pb.ingress.namespace}/{pb.ingress.service} has no LoadBalancer IP)"))
    elif sw.blue_value and values != [blue_value]:
        checks.append(Check("DNS record points at blue", False,
                            f"record holds {', '.join(values)}, not {blue_value}", field="switch.blue_value"))
    else:
        checks.append(
            Check("DNS record points at blue", values == [blue_value],
                  f"record holds {', '.join(values)}; blue's ingress is {blue_value}")
        )
    return checks


def _ingress_missing(pb: Playbook, obs: Observed) -> bool:
    """Blue answered and has no such Service: the playbook names the wrong one (not a slow load balancer)."""
    if not obs.blue.reachable:
        return False
    return not any(o.get("kind") == "Service" and (o.get("metadata") or {}).get("namespace") == pb.ingress.namespace
                   and (o.get("metadata") or {}).get("name") == pb.ingress.service for o in obs.blue.objects)


def subnet_checks(pb: Playbook, obs: Observed) -> list[Check]:
    """Green's nodes (at full size, plus surge) must fit the free addresses of their subnets (field notes §6)."""
    if not obs.subnets or obs.blue.info is None:
        return []
    body = green_body(pb, obs)
    network = body["properties"].get("networkProfile") or {}
    pools = [NodePoolInfo.from_arm(p) for p in body["properties"]["agentPoolProfiles"]]
    checks = []
    for subnet_id, subnet in sorted(obs.subnets.items()):
        on_subnet = [p for p in pools if (p.vnet_subnet_id or "").lower() == subnet_id]
        if not on_subnet:
            continue
        needed = addresses_needed(on_subnet, network.get("networkPlugin"), network.get("networkPluginMode"))
        name = subnet_id.rsplit("/", 1)[-1]
        detail = (f"green needs {needed} addresses in subnet {name} (pools {', '.join(p.name for p in on_subnet)} "
                  f"at full size plus surge); {subnet.free} of {subnet.total} are free")
        checks.append(Check("subnet has room", needed <= subnet.free, detail))
    return checks
