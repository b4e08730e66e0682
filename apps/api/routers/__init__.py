"""The API's routers, one module per resource, registered in apps/api/ninja_api.py."""
