"""The local stack: API Gateway (WebSocket + REST), EventBridge schedules and moto on one port.

Local-only tooling. It lives outside `chalicelib/` and is never packaged into the Lambda;
`python -m local.run` starts it (see docs/local-stack.md).
"""
