"""Live screens: the outbox relay (relay.py), the per-process hub (hub.py), what each client
is sent first (session.py), and their wiring into a running server (runtime.py)."""
