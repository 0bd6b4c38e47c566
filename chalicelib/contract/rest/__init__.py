"""The REST API's request bodies and answers, one module per lane: widget, team, conversations,
callbacks, tickets, hub, agent_day; `common` holds what they share. Bodies refuse unknown fields;
`common.decode_body` is the one way a handler reads one (`bad_json` or `invalid_action` otherwise)."""
