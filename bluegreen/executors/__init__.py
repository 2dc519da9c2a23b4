"""One executor per action kind: the only code that changes anything, through the clients.

Importing this package registers every executor; `EXECUTORS` maps each kind's
parameter class to its executor.
"""

from bluegreen.actions import PARAMS
from bluegreen.executors import archive, cluster, dns, kube, notes, smoke, traffic
from bluegreen.executors.base import EXECUTORS, CheckFailed, ExecEnv, Executor, Outcome

__all__ = ["EXECUTORS", "CheckFailed", "ExecEnv", "Executor", "Outcome", "archive", "cluster", "dns", "kube",
           "notes", "smoke", "traffic"]

_missing = sorted(cls.__name__ for cls in PARAMS.values() if cls not in EXECUTORS)
assert not _missing, f"action kinds without an executor: {_missing}"
