"""The embedded mode's mailbox: each email a file under EMAIL_FILE_PATH, as a mail client opens it."""

import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Writes one `<time>-<Message-ID>.eml` file per message.

    Django's file backend appends every message of a connection to one log
    file, which no mail client opens; an .eml file is one RFC 5322 message.
    """

    def __init__(self, *, file_path=None, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        sent = 0
        for email_message in email_messages:
            try:
                self._write(email_message.message())
            except OSError:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _write(self, message):
        self.file_path.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        slug = re.sub(r"[^A-Za-z0-9.@_-]+", "-", str(message["Message-ID"] or "")).strip("-")[:100]
        name = f"{stamp}-{slug}.eml" if slug else f"{stamp}.eml"
        # Written aside and renamed, so that a reader never sees half a message.
        descriptor, partial = tempfile.mkstemp(dir=self.file_path, prefix=".", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(message.as_bytes())
            os.replace(partial, self.file_path / name)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
