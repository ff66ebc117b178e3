"""Logging helpers referenced from deploy/nameko.yaml."""

import logging


class ExpectedErrors(logging.Filter):
    """Log an expected error (a refused request, a validation failure) as one line, no traceback.

    nameko logs every error raised by an entrypoint with its traceback, even the
    ones declared expected; for a 4xx that only buries the real failures.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg.startswith("(expected) error handling worker") if isinstance(record.msg, str) else False:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
