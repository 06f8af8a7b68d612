"""Whether the services the tracker depends on answer: what /healthz reports."""

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.db import connection

from config.celery import app


def services_health(*, broker_timeout: float = 3.0) -> dict:
    """Whether the database and the broker answer, with the error when one does not.

    The broker being down is degraded, not fatal: the outbox keeps reminders
    in the database and the next sweep sends them once it is back. The broker
    is asked in a thread given `broker_timeout` seconds, so that a broker that
    accepts connections but never answers cannot hang the caller.
    """
    health = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health["database"] = {"ok": True}
    except Exception as error:
        health["database"] = {"ok": False, "error": str(error)[:200]}

    def ping_broker():
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=broker_timeout)
            return broker.transport_cls

    executor = ThreadPoolExecutor(max_workers=1)
    try:
        transport = executor.submit(ping_broker).result(timeout=broker_timeout)
        health["broker"] = {"ok": True, "transport": transport}
    except FutureTimeout:
        health["broker"] = {"ok": False, "error": f"no answer within {broker_timeout:g} s"}
    except Exception as error:
        health["broker"] = {"ok": False, "error": str(error)[:200]}
    finally:
        executor.shutdown(wait=False)
    health["status"] = "ok" if all(part["ok"] for part in health.values()) else "degraded"
    if not health["database"]["ok"]:
        health["status"] = "down"
    return health
