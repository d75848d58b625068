"""The browser UI and the HTTP API. Pages call the desk; no SQL here."""

from __future__ import annotations

from nicegui import app

from core.accounts.proxies import trusted_networks
from core.accounts.ratelimit import RateLimiter
from core.desk import Desk

from . import api, session, webform
from .components.notification_bell import forget_bells
from .format import set_zone
from .i18n import translate, use_page_languages
from .pages import (
    account,
    auth,
    automation,
    customers,
    digests,
    duplicates,
    imports,
    inbox,
    lead,
    notifications,
    opportunity,
    password_reset,
    pipeline,
    playbooks,
    pool,
    reports,
    rules,
    search,
    settings,
    team,
    webhooks,
)
from .upload_limit import limit_uploads


def register(desk: Desk, *, demo: bool = False) -> None:
    """Register every page and route on NiceGUI's app."""
    s = desk.ctx.settings
    set_zone(s.timezone)
    use_page_languages()
    desk.outbox.translate = translate  # the chat robots' messages, in each webhook's language
    desk.mailer.translate = translate  # emails, in each recipient's language
    session.install(desk)  # browser sessions: pages bound to theirs, sockets to their page
    app.on_shutdown(lambda: (inbox.forget(desk), forget_bells(desk)))  # module registries let go of the desk
    auth.register(desk, demo=demo)          # /setup /login /session/start /logout /language
    password_reset.register(desk)  # /forgot /reset
    account.register(desk)                  # /account
    inbox.register(desk)                    # /
    lead.register(desk)                     # /leads/{id}
    opportunity.register(desk)  # /opportunities/{id}
    customers.register(desk)  # /customers
    pipeline.register(desk)  # /pipeline
    pool.register(desk)                     # /pool
    search.register(desk)  # /search
    settings.register(desk, demo=demo)      # /settings
    automation.register(desk)  # /automation
    rules.register(desk)  # /rules
    playbooks.register(desk)  # /playbooks
    team.register(desk)  # /team
    reports.register(desk)  # /reports
    imports.register(desk)  # /import
    duplicates.register(desk)  # /duplicates
    notifications.register(desk)  # /notifications
    digests.register(desk)  # /digests
    webhooks.register(desk)  # /webhooks
    lane = api.build(desk, RateLimiter(s.api_rate_per_minute))  # /health /api/v1/… /docs
    webform.register(desk, RateLimiter(s.form_rate_per_minute),  # /f/{key}: plain HTML on the API's lane
                     RateLimiter(s.form_rate_per_form_per_minute), lane)
    api.serve_in_front(app, lane, trusted_networks(s.trusted_proxies))
    limit_uploads(app, s.import_max_mb * 1024 * 1024)  # in front of every upload route
