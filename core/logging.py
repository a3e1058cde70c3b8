"""structlog: JSON lines in production, readable console in a terminal. Never log personal data."""

import logging
import sys

import structlog

from core.settings import get_settings


def configure_logging() -> None:
    settings = get_settings()
    console = settings.log_format == "console" or (
        settings.log_format == "auto" and sys.stderr.isatty()
    )
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    level = logging.getLevelName(settings.log_level.upper())
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # sys.stderr as it is when logging (a test's capture may have replaced and closed it).
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,  # tests capture logs to check they hold no names
    )


log = structlog.get_logger()
