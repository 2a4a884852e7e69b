"""The ASGI entry point: `uvicorn permitcard.asgi:app`."""

from permitcard.shared.memory import few_arenas

few_arenas()  # before the thread pool's threads: see shared/memory.py

from permitcard.main import create_app  # noqa: E402

app = create_app()
