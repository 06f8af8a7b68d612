"""The benchmark suite: `make bench` or `python -m bench`.

Runs each scenario on PostgreSQL at 1,000 and 100,000 pledges and writes
docs/PERFORMANCE.md. The in-process scenarios live in bench.scenarios, the
ones that need other processes (Celery workers, an SMTP sink, gunicorn) in
bench.processes; bench.run orchestrates and bench.report writes the page.
"""
