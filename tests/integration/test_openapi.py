"""The OpenAPI document describes every operation, with its error answers as problem+json."""

from __future__ import annotations

PUBLIC_GET = {"/api/v1/branches"}


def test_every_api_operation_documents_its_errors(client):
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    missing = []
    for path, ops in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, op in ops.items():
            if method == "get" and path in PUBLIC_GET:
                continue
            codes = {c for c in op["responses"] if c.startswith("4")}
            problem = all("application/problem+json" in op["responses"][c].get("content", {}) for c in codes)
            if not codes or not problem:
                missing.append(f"{method.upper()} {path}")
            assert op.get("summary") or op.get("description"), f"{method} {path} has no summary"
    assert not missing, f"operations without documented problem+json errors: {missing}"


def test_docs_page_is_served_without_a_cdn(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "/static-docs/swagger-ui-bundle.js" in r.text
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200
    assert '<html lang="en">' in r.text  # the page says its language (WCAG 3.1.1)


def test_every_schema_has_a_plain_name(client):
    """An outside client reads names such as CardApplicationOut, never a module path."""
    names = client.get("/openapi.json").json()["components"]["schemas"]
    assert [n for n in names if "__" in n or "." in n] == []
