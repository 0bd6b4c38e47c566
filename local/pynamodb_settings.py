"""PynamoDB settings for the local stack (PYNAMODB_CONFIG points here).

The local runtime runs up to 32 handlers at once in one process, sharing one PynamoDB client
per model; on Lambda each container serves one invocation at a time, so the default pool of
10 connections is plenty there. Locally it made urllib3 discard connections by the hundred.
"""

max_pool_connections = 64
