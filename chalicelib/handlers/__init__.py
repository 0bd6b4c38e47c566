"""Thin entry points for app.py: parse and validate an event, call one service, map the result and domain errors."""
