"""Persistence: PynamoDB models, key formats, table definitions, and one store per lane behind a Protocol port."""
