"""Route declarations (shared.routes.Routes) become the app's own routes, once, in their order."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.exceptions import FastAPIError
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from permitcard.shared.routes import LazyRoute, Routes, build_all


def _app(routes: Routes) -> FastAPI:
    app = FastAPI()
    routes.add_to(app.router)
    return app


def test_an_included_module_keeps_its_place_the_prefix_and_the_tags() -> None:
    outer = Routes(prefix="/api/v1", tags=["cards"])
    inner = Routes(prefix="/lost", tags=["loss"])

    @outer.get("/first")
    def first() -> dict[str, str]:
        return {"at": "first"}

    outer.include(inner)

    @inner.post("/{card_id}", status_code=201)
    def report(card_id: int) -> dict[str, int]:
        return {"card": card_id}

    @outer.get("/{anything}")
    def last(anything: str) -> dict[str, str]:
        return {"at": anything}

    app = _app(outer)
    paths = [(r.path, sorted(r.methods), r.tags) for r in app.routes if isinstance(r, APIRoute)]
    assert paths == [("/api/v1/first", ["GET"], ["cards"]),
                     ("/api/v1/lost/{card_id}", ["POST"], ["cards", "loss"]),
                     ("/api/v1/{anything}", ["GET"], ["cards"])]
    client = TestClient(app)
    assert client.post("/api/v1/lost/7").status_code == 201
    assert client.post("/api/v1/lost/7").json() == {"card": 7}
    assert client.get("/api/v1/first").json() == {"at": "first"}
    assert client.get("/api/v1/lost/7").status_code == 405  # a parameter matches no "/"
    assert client.get("/api/v1/x").json() == {"at": "x"}


def test_pages_stay_out_of_the_api_reference() -> None:
    pages = Routes(include_in_schema=False)
    api = Routes(prefix="/api/v1")

    @pages.get("/page")
    def page() -> dict[str, str]:
        return {}

    @api.get("/thing")
    def thing() -> dict[str, str]:
        return {}

    @api.get("/hidden", include_in_schema=False)
    def hidden() -> dict[str, str]:
        return {}

    app = FastAPI()
    api.add_to(app.router)
    pages.add_to(app.router)
    assert set(app.openapi()["paths"]) == {"/api/v1/thing"}


def test_the_served_app_matches_requests_against_one_flat_list_of_routes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from permitcard.db import Database, make_engine
    from permitcard.main import create_app

    db = Database(make_engine(f"sqlite:///{tmp_path}/routes.db"))
    try:
        app = create_app(db=db)
        nested = [type(r).__name__ for r in app.routes
                  if not isinstance(r, APIRoute | Mount) and getattr(r, "path", None) != "/openapi.json"]
        assert nested == []  # no included router: nothing is built again or walked through
        assert len([r for r in app.routes if isinstance(r, APIRoute)]) > 250
        lazy = [r for r in app.routes if isinstance(r, LazyRoute)]
        assert lazy and not any(r.built for r in lazy)  # the start builds none of them
        assert build_all(app.routes) == len(lazy) > 250  # and every one of them can be built
        assert all(r.built for r in lazy)
    finally:
        db.close()


def test_a_route_is_built_by_its_first_request_and_no_other_is() -> None:
    routes = Routes(prefix="/api")

    @routes.get("/cards/{card_id}", name="card")
    def card(card_id: int) -> dict[str, int]:
        return {"card": card_id}

    @routes.get("/other")
    def other() -> dict[str, str]:
        return {}

    app = _app(routes)
    first, second = [r for r in app.routes if isinstance(r, LazyRoute)]
    assert app.url_path_for("card", card_id="7") == "/api/cards/7"  # links need no build
    assert not first.built and not second.built
    client = TestClient(app)
    assert client.post("/api/cards/7").status_code == 405  # nor does a wrong method
    assert not first.built
    assert client.get("/api/cards/7").json() == {"card": 7}
    assert client.get("/api/cards/x").status_code == 422  # the validator it built is used
    assert first.built and not second.built


def test_a_route_that_cannot_be_built_says_so_each_time_it_is_asked() -> None:
    routes = Routes()

    @routes.get("/broken", response_model=object(), status_code=204)
    def broken() -> None:
        return None

    app = _app(routes)  # the start does not notice
    (route,) = [r for r in app.routes if isinstance(r, LazyRoute)]
    for _ in range(2):
        with pytest.raises((AssertionError, FastAPIError)):
            build_all(app.routes)
    assert not route.built
