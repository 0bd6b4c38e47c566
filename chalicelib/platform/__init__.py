"""Cross-cutting services: settings, clock, domain errors, logs and metrics, identity, the WebSocket sender."""
