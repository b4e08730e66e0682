"""Settings of the `make chaos` stack: the product's, with the SMTP backend that stamps each
email with the outbox row that sent it (bench/chaos_mail.py)."""

from config.settings import *  # noqa: F403

# Under the product backend (stable Message-ID per outbox row): the stamping SMTP backend.
OUTBOX_EMAIL_BACKEND = "bench.chaos_mail.OutboxIdSMTPBackend"
