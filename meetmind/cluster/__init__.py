"""Scale-out: API nodes and stream workers coordinated through Redis.

* :mod:`~meetmind.cluster.work` — what an API node asks the workers to do (pure).
* :mod:`~meetmind.cluster.leases` — one owner per stream: leases with fencing tokens.
* :mod:`~meetmind.cluster.dispatch` — the API side: stream work into a Redis Stream.
* :mod:`~meetmind.cluster.worker` — the worker side: consume, own, renew, take over, drain.
* :mod:`~meetmind.cluster.bus` — live-event notifications between processes.
* :mod:`~meetmind.cluster.local` — a local cluster of real processes for tests and trials.
"""
