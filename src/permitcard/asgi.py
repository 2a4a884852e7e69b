"""The ASGI entry point: `uvicorn permitcard.asgi:app`."""

from permitcard.main import create_app

app = create_app()
