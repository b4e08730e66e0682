"""The hand-written OpenAPI 3.1 description of /api/v1/, served at /api/v1/schema/."""

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
RESERVED_PREFIXES = ("onboarding.", "milestone.")
MAX_DATA_BYTES = 16_384
MAX_USER_EMAIL = 254

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": [
                        "invalid_request",
                        "unauthorized",
                        "not_found",
                        "method_not_allowed",
                        "idempotency_key_reused",
                    ],
                },
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Per-field messages, for invalid_request.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(*, server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Onramp API",
            "version": "1.0.0",
            "summary": "Send partner events that complete onboarding milestones.",
            "description": (
                "Each partner program has its own API keys (created by program admins in the "
                "console under Settings → API keys) and its own host. Events you send are "
                "added to the partner's event log: they complete milestones (a certification "
                "passed, a first deal registered) and resolve the channel manager's alerts."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"apiKey": []}],
        "paths": {
            "/events": {
                "post": {
                    "operationId": "recordEvent",
                    "summary": "Record an event for a partner",
                    "description": (
                        "Send an `Idempotency-Key` header with every request: retrying a "
                        "request with the same key records one event and answers 200 with the "
                        "event first recorded. Identify the partner by `partner_id` or by one "
                        "of its email domains (`partner_domain`). Name the partner's user the "
                        "event is for with `user` (their email): a certification passed or a "
                        "module completed then counts for that user (the 90-day review shows "
                        "orientation completion per user) and for the account."
                    ),
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A unique string per event, at most 96 characters.",
                            "schema": {"type": "string", "maxLength": 96, "minLength": 1},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EventInput"},
                                "examples": {
                                    "certification": {
                                        "summary": "A sales certification passed",
                                        "value": {
                                            "partner_domain": "contoso.test",
                                            "type": "certification.passed",
                                            "reference": "sales",
                                            "occurred_at": "2026-03-02T14:30:00Z",
                                            "data": {"course": "Sales Foundations", "score": 92},
                                        },
                                    },
                                    "module": {
                                        "summary": "An orientation module completed by a user",
                                        "value": {
                                            "partner_domain": "contoso.test",
                                            "type": "module.completed",
                                            "reference": "lms:program-basics",
                                            "user": "dana@contoso.test",
                                        },
                                    },
                                    "deal": {
                                        "summary": "A deal registered",
                                        "value": {
                                            "partner_id": 42,
                                            "type": "deal.registered",
                                            "reference": "DR-1042",
                                            "data": {"customer": "Initech", "amount": 48000},
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "The event is recorded.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Event"}
                                }
                            },
                        },
                        "200": {
                            "description": (
                                "A retry: this Idempotency-Key was already used; the event "
                                "first recorded is returned and nothing changed."
                            ),
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Event"}
                                }
                            },
                        },
                        "400": _error("The request is not valid; `fields` says why."),
                        "401": _error("The API key is missing, unknown or revoked."),
                        "404": _error("No partner of this program has that id or domain."),
                        "409": _error("The partner is suspended; nothing was recorded."),
                        "422": _error("The Idempotency-Key was used for a different event."),
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer onr_…` with a key of this program.",
                }
            },
            "schemas": {
                "EventInput": {
                    "type": "object",
                    "required": ["type"],
                    "additionalProperties": False,
                    "properties": {
                        "partner_id": {"type": "integer", "minimum": 1},
                        "partner_domain": {"type": "string", "maxLength": 253},
                        "type": {
                            "type": "string",
                            "maxLength": 80,
                            "pattern": EVENT_TYPE_PATTERN,
                            "description": (
                                "Lower-case, dotted. Milestones of the default template "
                                "react to `profile.completed`, `call.logged`, "
                                "`certification.attempted`, `certification.passed` "
                                "(reference `sales` or `technical`), `deal.registered`, "
                                "`mdf.requested`, `campaign.started`, `asset.downloaded`, "
                                "`review.scheduled`, `review.held`, `plan.documented`. "
                                "`onboarding.*` and `milestone.*` are reserved."
                            ),
                        },
                        "occurred_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "With a time zone; defaults to now.",
                        },
                        "reference": {"type": "string", "maxLength": 200},
                        "data": {
                            "type": "object",
                            "description": f"Free JSON, at most {MAX_DATA_BYTES} bytes.",
                        },
                        "user": {
                            "type": "string",
                            "format": "email",
                            "maxLength": MAX_USER_EMAIL,
                            "description": (
                                "Optional: the email of the partner's user the event is for. "
                                "It must be an active user of that partner account (else 400, "
                                "field `user`); the event is recorded as theirs, so it counts "
                                "for them and for the account. Without it the event counts "
                                "for the account only."
                            ),
                        },
                    },
                    "oneOf": [{"required": ["partner_id"]}, {"required": ["partner_domain"]}],
                },
                "Event": {
                    "type": "object",
                    "required": ["id", "partner_id", "type", "occurred_at", "source"],
                    "properties": {
                        "id": {"type": "integer"},
                        "partner_id": {"type": "integer"},
                        "type": {"type": "string"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "recorded_at": {"type": "string", "format": "date-time"},
                        "reference": {"type": "string"},
                        "data": {"type": "object"},
                        "source": {"type": "string", "const": "api"},
                        "user": {
                            "type": ["string", "null"],
                            "format": "email",
                            "description": "The partner's user the event is for, if any.",
                        },
                        "milestones_completed": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Keys of the milestones this event completed.",
                        },
                        "alerts_resolved": {"type": "integer"},
                    },
                },
                "Error": _ERROR,
            },
        },
    }
