"""Webhooks: who subscribes to what, where a delivery may go, how it looks on the wire, and the
outbox that delivers it outside every request."""
