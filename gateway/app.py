"""The application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, load_settings, refuse_unsafe
from gateway.commands import init_app as init_commands
from gateway.extensions import database, tracing
from gateway.extensions import redis as redis_extension
from gateway.routes import dashboard, health, metrics, simulator, sms, ussd
from workers.broker import announce


def create_app(settings: Settings | None = None) -> Flask:
    """Build the gateway for the given settings (the environment's when None)."""
    settings = settings or load_settings()
    refuse_unsafe(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    if settings.trusted_proxies:
        # The client's address from X-Forwarded-For, believed only as far as our own proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=1)
    # Callbacks are a few hundred bytes; anything near this size is not from the provider.
    app.config.update(SECRET_KEY=settings.secret_key, SATJA=settings, MAX_CONTENT_LENGTH=64 * 1024)
    app.json.ensure_ascii = False
    db = database.init_app(app, settings)
    redis = redis_extension.init_app(app, settings)
    # Committed changes move their generations on: cached screens are read anew.
    db.on_commit(lambda generations: announce(redis.redis, generations))
    tracing.init_app(app, settings)
    health.init_app(app)
    metrics.init_app(app)
    sms.init_app(app)
    ussd.init_app(app)
    simulator.init_app(app)
    dashboard.init_app(app)
    init_commands(app)
    return app
