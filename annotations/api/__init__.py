"""The REST API for projects, sources, articles and annotations (routed in config/api_urls.py).

Also home of the API glue claims/api builds on: pagination, renderers, permissions, schema.
"""
