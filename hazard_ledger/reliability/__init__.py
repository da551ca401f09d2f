"""What keeps the ledger right through faults: the scheduler's leadership epoch and the
last instant each job completed (a dead leader's missed run is caught up, a deposed one
runs nothing), the API's Idempotency-Keys (a retried write writes once), and the
PostgreSQL connection's timeouts by the role of the process (a silent network never
holds a request for ever)."""
