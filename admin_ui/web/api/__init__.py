"""The REST API under ``/api/v1``: objects, records, access, import/export and the OpenAPI document."""
