"""wsgi.py — the Flask app gunicorn loads as wsgi:app (see peer.py)."""
from peer import create_flask_app

app = create_flask_app()
