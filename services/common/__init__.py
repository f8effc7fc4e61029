"""Plumbing shared by every service: errors, auth, schemas, Redis, events, health and metrics."""
