"""Fault tests: real processes killed, brokers stopped and frozen, the database restarted.

Run them with

    CLAIMTRACK_VAR_DIR=var-faults .venv/bin/pytest -m faults tests/faults -v

They need `redis-server` on the PATH (each test starts its own on a free port), the embedded
PostgreSQL server of the test database (the restart test skips when DATABASE_URL is set), and,
for the RabbitMQ variants, RabbitMQ at CLAIMTRACK_TEST_RABBITMQ_URL (default
amqp://guest:guest@127.0.0.1:5672//; skipped if unreachable; each test uses a queue of its own
and deletes it). Every process a test starts is stopped (its whole process group) at the end.
The run prints a section "faults: what was observed" with the numbers of that run.

| Fault | What the user sees | What is lost |
|---|---|---|
| Worker SIGKILLed (main process and pool child) in the middle of processing an article, on Redis and on RabbitMQ (`test_worker_killed`) | Nothing: the article stays "processing" and is processed by a second worker (RabbitMQ: at once; Redis: once the visibility timeout has passed). Passages exactly those of one clean run. | Nothing. The killed run's transaction never committed: 0 partial passages, 1 follow-up matching task, not 2. |
| Worker SIGKILLed in the middle of matching a claim, on Redis and on RabbitMQ | The candidates appear once the second worker has rerun the task. | Nothing: 0 candidates from the killed run, no duplicate, and a clean rerun gives the same set. |
| Broker (Redis) stopped while an editor saves an article and a claim (`test_broker_down`) | Both saves succeed at once (< 0.2 s). Processing and matching start when the broker is back. | Nothing: the tasks wait in the outbox table; a relay process started after the saves (as after a restart) sends them; the worker reconnects by itself; each task runs once. |
| Broker frozen (SIGSTOP: connections accepted, nothing answered) while an editor saves | The save succeeds after about 6 s (3 publish attempts x 2 s socket timeout) instead of hanging. | Nothing. The publish that timed out may still land when the broker wakes, so the task can arrive twice; it is idempotent, so the article is processed once. |
| Database (embedded PostgreSQL) stopped for 4 s and started again under load: browser pages, API reads and API writes (`test_database_restart`) | Requests during the outage get a plain "Server Error (500)" page quickly (no hang, no traceback or connection details). The first request after the restart succeeds; the same gunicorn processes serve on. | Nothing: every write the client was told about is saved, each with its matching task queued; failed writes left nothing half-saved. |
"""
