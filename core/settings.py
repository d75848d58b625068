"""Typed configuration from `LEADDESK_*` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='LEADDESK_', extra='ignore')

    data_dir: Path = Path('data')
    database_url: str = ''
    """Empty: a SQLite file `leaddesk.db` in `data_dir`."""
    host: str = '127.0.0.1'
    port: int = 8080
    storage_secret: str = ''
    """Empty: generated once and kept in `data_dir/secret.key` (never in the repo)."""
    tick_seconds: float = 30.0
    demo_stream_seconds: float = 20.0
    """A simulated lead this often: with the demo reps' quotas (core/ops/demo_accounts.py), leads
    keep reaching reps, not the pool, through a 30-minute demo."""
    default_region: str = 'CN'
    timezone: str = 'Asia/Shanghai'
    api_rate_per_minute: int = 600
    form_rate_per_minute: int = 10
    """Web-form submissions per client IP per minute."""
    form_rate_per_form_per_minute: int = 120
    """Submissions per web form per minute from all IPs together: a spam run spread over many
    addresses still cannot flood the reps' inboxes through one form."""
    trusted_proxies: str = ''
    """Comma-separated IPs / CIDRs of reverse proxies whose `X-Forwarded-For` is believed (the
    client address for rate limits and logs; core/accounts/proxies.py). Empty: none — every client is the
    address that connected, whatever headers it sends."""
    max_body_bytes: int = 64 * 1024
    import_batch_rows: int = 2000
    """Rows per import transaction: a crash loses at most one uncommitted batch (resume redoes it);
    smaller batches keep other writers' waits for the write lock shorter, larger ones import faster."""
    import_max_mb: int = 50
    """The largest upload an import takes (MiB), enforced by the upload route while the body arrives
    and again while the file is written: the browser's own check is only a convenience."""
    draft_upload_days: int = 7
    """An uploaded file nobody ran as an import is deleted after this many days (its job marked
    expired): uploads hold customers' personal data."""
    public_url: str = ''
    """The address users open LeadDesk at (e.g. `https://crm.example.com`): webhook messages link to
    the lead or deal there. Empty: messages carry no link (the app cannot know its own public name
    behind a proxy)."""
    session_days: float = 30.0
    """A browser session ends this many days after login, however active (the cookie lasts as long)."""
    session_idle_days: float = 7.0
    """…and after this many days without a page load."""
    smtp_password: str = ''
    """The SMTP password from the environment (`LEADDESK_SMTP_PASSWORD`): wins over one an admin stored
    (encrypted) in Settings, and is never written anywhere (core/integrations/smtp.py)."""
    api_threads: int = 32
    """Worker threads for API captures. A capture waiting for its group commit holds one, so this
    bounds how many concurrent captures can share a commit (core/capture/group_commit.py)."""

    def resolved_database_url(self) -> str:
        return self.database_url or f'sqlite:///{self.data_dir / "leaddesk.db"}'

    def resolved_storage_secret(self) -> str:
        """The configured secret, or one generated on first start and kept in the data folder."""
        if self.storage_secret:
            return self.storage_secret
        path = self.data_dir / 'secret.key'
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:  # owner only
            f.write(secret)
        return secret
