"""A context's HTTP routes, declared where they are handled and added to the app once.

FastAPI builds a route (its dependencies' signatures, a pydantic validator for every parameter, the
response model) when it is declared on an ``APIRouter``, and builds it again, from scratch, for every
router that includes it and for the app (FastAPI 0.165: ``_EffectiveRouteContext.from_api_route``):
each of our 272 routes was built twice or three times, part of it during the start and the rest by the
first request that walked past it (the first sign-in page took 0.27 s). ``Routes`` only records the
declarations; ``bootstrap.include_routers`` adds them to the app's own router, where each is built once
and requests are matched against one flat list.

A module declares ``router = Routes(prefix="/api/v1", tags=["cards"])`` and decorates its handlers with
``@router.get(path, ...)`` / ``post`` / ``put`` / ``delete`` exactly as on an ``APIRouter`` (the keyword
arguments are ``APIRouter.add_api_route``'s); ``router.include(other)`` places another module's routes at
that point of the order, under this one's prefix, tags and ``include_in_schema``.

Each route is a ``LazyRoute``: the app's start gives it what matching a request needs (its path pattern,
methods, name) and it builds the rest (the dependency graph, a pydantic validator per parameter, the
response model: 1–2 ms a route, 0.4 s of the start for all of them) the first time anything asks for it
— its first request, or the OpenAPI document for the API's routes. ``build_all`` builds them all at once
(the tests do, so a route that cannot be built fails there, not on a user's first request).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi.routing import APIRoute, APIRouter
from starlette.routing import BaseRoute, compile_path, get_name

Handler = TypeVar("Handler", bound=Callable[..., Any])


class LazyRoute(APIRoute):
    """An ``APIRoute`` that builds itself on first use (see the module's docstring).

    ``__init__`` sets only what ``matches`` and ``url_path_for`` read; any other attribute is missing
    until then, so reading it (``handle`` reads ``app``, the OpenAPI document ``dependant`` and the
    response fields) runs ``APIRoute.__init__`` once, with the arguments it was given. The build has no
    ``await`` in it, so on the event loop no request can see a half-built route.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self._pending: tuple[str, Callable[..., Any], dict[str, Any]] | None = (path, endpoint, options)
        self.path = path
        self.endpoint = endpoint
        self.name = options.get("name") or get_name(endpoint)
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.methods = {method.upper() for method in options.get("methods") or ["GET"]}
        self.include_in_schema = options.get("include_in_schema", True)

    def __getattr__(self, name: str) -> Any:
        pending = self.__dict__.get("_pending")
        if pending is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self._pending = None
        path, endpoint, options = pending
        try:
            APIRoute.__init__(self, path, endpoint, **options)
        except BaseException:
            self._pending = pending
            raise
        return getattr(self, name)

    @property
    def built(self) -> bool:
        return self.__dict__.get("_pending") is None

    def build(self) -> None:
        if not self.built:
            self.__getattr__("app")


def build_all(routes: list[BaseRoute]) -> int:
    """Build every ``LazyRoute`` of ``routes`` now; how many were still to build."""
    todo = [r for r in routes if isinstance(r, LazyRoute) and not r.built]
    for route in todo:
        route.build()
    return len(todo)


class Routes:
    """Route declarations in order, with the prefix, tags and schema visibility they share."""

    def __init__(self, *, prefix: str = "", tags: list[str] | None = None, include_in_schema: bool = True) -> None:
        self.prefix = prefix
        self.tags = list(tags or [])
        self.include_in_schema = include_in_schema
        self._entries: list[tuple[str, Callable[..., Any], dict[str, Any]] | Routes] = []

    def api_route(self, path: str, *, methods: list[str], **options: Any) -> Callable[[Handler], Handler]:
        def record(handler: Handler) -> Handler:
            self._entries.append((path, handler, {"methods": methods, **options}))
            return handler

        return record

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["GET"], **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["POST"], **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["PUT"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.api_route(path, methods=["DELETE"], **options)

    def include(self, other: Routes) -> None:
        """``other``'s routes here, in this order; this one's prefix and tags come before its own."""
        self._entries.append(other)

    def declared(self, prefix: str = "") -> Iterator[tuple[str, str]]:
        """``(method, path)`` of every declared route, in order, with its full path: what ``add_to`` adds."""
        prefix += self.prefix
        for entry in self._entries:
            if isinstance(entry, Routes):
                yield from entry.declared(prefix)
            else:
                path, _handler, options = entry
                for method in options["methods"]:
                    yield method, prefix + path

    def add_to(self, router: APIRouter, *, prefix: str = "", tags: tuple[str, ...] = (),
               include_in_schema: bool = True) -> None:
        """Build every declared route on ``router`` (the app's own: its dependencies apply to each)."""
        prefix += self.prefix
        tags = (*tags, *self.tags)
        include_in_schema = include_in_schema and self.include_in_schema
        for entry in self._entries:
            if isinstance(entry, Routes):
                entry.add_to(router, prefix=prefix, tags=tags, include_in_schema=include_in_schema)
                continue
            path, handler, options = entry
            options = dict(options)
            options["tags"] = [*tags, *options.get("tags", [])]
            options["include_in_schema"] = include_in_schema and options.get("include_in_schema", True)
            router.add_api_route(prefix + path, handler, route_class_override=LazyRoute, **options)
