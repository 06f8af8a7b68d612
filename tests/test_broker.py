"""The Celery broker configured by the settings carries messages: Redis when
REDIS_URL is set (in CI, the real server), else the embedded filesystem
transport under var/broker/."""

import uuid

from django.conf import settings
from kombu import Connection

from config.celery import app


def test_celery_uses_redis_when_configured_else_the_filesystem():
    expected = settings.REDIS_URL or "filesystem://localhost//"
    assert app.conf.broker_url == expected
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]


def test_a_message_goes_through_the_configured_broker():
    queue_name = f"test-{uuid.uuid4().hex}"
    payload = {"probe": uuid.uuid4().hex}

    with Connection(app.conf.broker_url, transport_options=app.conf.broker_transport_options) as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            queue.put(payload)
            message = queue.get(timeout=10)
            message.ack()
            assert message.payload == payload
        finally:
            queue.clear()
            queue.close()
