"""Incident log service: FastAPI + SQLAlchemy 2 + Alembic, with a browser review UI (``api/ui/``).

Start it with ``gridpatrol serve``; stations talk to it through :class:`api.client.ApiClient`.
"""
