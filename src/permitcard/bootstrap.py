"""The one place that assembles permitcard from its contexts (cosmicpython's ``bootstrap.py``).

``CONTEXTS`` is the only list of the bounded contexts. From it, ``bootstrap()`` imports every
context's models (so ``Base.metadata`` is complete), points the templates at every context's
``templates/`` folder, subscribes every context's outbox handlers, and installs the adapters the
settings choose (``Adapters``) in the ports of the code that uses them. ``include_routers`` adds
every context's ``api`` and ``pages`` routers to the web app.

The web app (``main.create_app``), ``permitcard worker``, the other CLI commands, Alembic and the
tests all start here. A context picks up nothing by itself: adding one means adding its name below.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI

from permitcard.cards.producer import PRODUCER, BuiltinProducer, ProducerFactory
from permitcard.config import Settings, get_settings
from permitcard.ecard.adapters import FACE_CHECK, FaceCheck
from permitcard.notifications.adapters import MAILER, SMS, FileMailer, Mailer, SmsSender, SmtpMailer
from permitcard.permits.registry import BuiltinRegistry
from permitcard.shared import web
from permitcard.shared.registry import REGISTRY, RegistryFactory
from permitcard.shared.routes import Routes

PACKAGE = "permitcard"
PACKAGE_DIR = Path(__file__).resolve().parent

# The bounded contexts, in the order their routers are matched and their templates searched. A name
# whose package does not exist (yet) is skipped.
CONTEXTS = ("auth", "banks", "permits", "insurance", "photos", "cards", "ecard", "notifications", "admin",
            "policy", "home")


def context_module(ctx: str, part: str) -> ModuleType | None:
    """``permitcard.<ctx>.<part>``, or None where the context or that module does not exist."""
    if importlib.util.find_spec(f"{PACKAGE}.{ctx}") is None:
        return None
    name = f"{PACKAGE}.{ctx}.{part}"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


def context_modules(part: str) -> Iterator[ModuleType]:
    """``permitcard.<context>.<part>`` of every context that has one, in ``CONTEXTS`` order."""
    for ctx in CONTEXTS:
        module = context_module(ctx, part)
        if module is not None:
            yield module


def import_models() -> None:
    """Import every context's ORM models (and the shared ones) so ``Base.metadata`` is complete."""
    importlib.import_module(f"{PACKAGE}.shared.models")
    list(context_modules("models"))


def template_dirs() -> list[Path]:
    return [PACKAGE_DIR / ctx / "templates" for ctx in CONTEXTS if (PACKAGE_DIR / ctx / "templates").is_dir()]


def register_handlers() -> None:
    """Subscribe every context's outbox handlers: ``register()`` of its ``handlers.py``. Subscribing a
    handler twice changes nothing, so this may run again (tests build many apps)."""
    for module in context_modules("handlers"):
        module.register()


def include_routers(app: FastAPI) -> None:
    """Every context's JSON (``api``) and HTML (``pages``) routes, public ones included: every API first.

    Each module's ``router`` and ``public_router`` (``shared.routes.Routes``) is built on the app's own
    router, once (an included ``APIRouter`` would build each route again). Routes are matched one by one
    in this order (measured: 0.26 ms to reach the insurance API behind the pages of three contexts), and
    the API is what programs call many times a second; no page path starts with ``/api/``, so the order
    changes which route is tried first, never which one answers."""
    for part in ("api", "pages"):
        for routes in context_routes(part):
            routes.add_to(app.router)


def context_routes(part: str) -> Iterator[Routes]:
    """The ``router`` and ``public_router`` of every context's ``part`` module (``api`` or ``pages``), in
    ``CONTEXTS`` order: what ``include_routers`` adds, and what tests list (``Routes.declared``)."""
    for module in context_modules(part):
        for attr in ("router", "public_router"):
            routes = getattr(module, attr, None)
            if routes is not None:
                yield routes


# ------------------------------------------------------------------ adapters


@dataclass(frozen=True)
class Adapters:
    """The adapters of one process, chosen by configuration; ``app.state.adapters`` in the web app and
    ``adapters()`` anywhere. The code that uses one asks its port (``registry_for(s)``,
    ``producer_for(s)``, ``mailer()``), so this is the only place that reads the backend settings."""

    registry: RegistryFactory  # the Work-in-China registry (shared.registry)
    card_producer: ProducerFactory  # the bank's card vendor (cards.producer)
    mailer: Mailer  # e-mail (notifications.adapters)
    sms: SmsSender | None = None  # text messages (notifications.adapters): none configured yet
    face_check: FaceCheck | None = None  # e-card real-name check (ecard.adapters): none configured yet


def _registry(settings: Settings) -> RegistryFactory:
    if settings.registry_backend == "builtin":
        return BuiltinRegistry
    raise RuntimeError(f"unknown PERMITCARD_REGISTRY_BACKEND {settings.registry_backend!r}")


def _card_producer(settings: Settings) -> ProducerFactory:
    if settings.card_producer == "builtin":
        return BuiltinProducer
    raise RuntimeError(f"unknown PERMITCARD_CARD_PRODUCER {settings.card_producer!r}")


def _mailer(settings: Settings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(settings.smtp_host, settings.smtp_port, sender=settings.mail_from)
    if settings.mail_backend == "file":
        return FileMailer(Path(settings.var_dir) / "mail", sender=settings.mail_from)
    raise RuntimeError(f"unknown PERMITCARD_MAIL_BACKEND {settings.mail_backend!r}")


def adapters_from(settings: Settings) -> Adapters:
    """The adapters the settings name (PERMITCARD_REGISTRY_BACKEND, _CARD_PRODUCER, _MAIL_BACKEND)."""
    return Adapters(registry=_registry(settings), card_producer=_card_producer(settings),
                    mailer=_mailer(settings))


_installed: Adapters | None = None


def install(adapters: Adapters) -> Adapters:
    """Plug ``adapters`` into the ports (tests swap one with ``dataclasses.replace``)."""
    global _installed
    REGISTRY.install(adapters.registry)
    PRODUCER.install(adapters.card_producer)
    MAILER.install(adapters.mailer)
    SMS.install(adapters.sms)
    FACE_CHECK.install(adapters.face_check)
    _installed = adapters
    return adapters


def adapters() -> Adapters:
    """The adapters installed in this process (worker, CLI, tests)."""
    if _installed is None:
        raise RuntimeError("permitcard is not assembled yet: call permitcard.bootstrap.bootstrap()")
    return _installed


def bootstrap(settings: Settings | None = None, *, adapters: Adapters | None = None) -> Adapters:
    """Assemble everything a process needs besides the web app; safe to call again (tests build many apps)."""
    settings = settings or get_settings()
    import_models()
    web.use_template_dirs(template_dirs())
    chosen = install(adapters or adapters_from(settings))
    register_handlers()
    return chosen
