"""An SMTP sink for the delivery benchmark: accepts every message, keeps none, counts them.

Run as `python -m aiosmtpd -n -l 127.0.0.1:PORT -c bench.smtp_sink.CountingSink COUNT_FILE`:
the count of accepted messages is rewritten to COUNT_FILE after each one.
"""

from pathlib import Path


class CountingSink:
    def __init__(self, count_file):
        self.count_file = Path(count_file)
        self.count = 0
        self.count_file.write_text("0")

    @classmethod
    def from_cli(cls, parser, *arguments):
        if len(arguments) != 1:
            parser.error("CountingSink takes one argument: the file to write the count to")
        return cls(arguments[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.count_file.write_text(str(self.count))
        return "250 OK"


def accepted(count_file) -> int:
    text = Path(count_file).read_text().strip()
    return int(text or 0)
