"""Benchmarks for Claimtrack at newsroom scale, run by `manage.py bench`.

One module per concern: `corpus` writes synthetic news text, `fill` bulk-loads passages,
`loading`, `matching`, `export` and `api_load` each take one measurement, `chart` draws them,
`runner` puts a throwaway database around it all. Nothing here is imported by the app, and
the app carries no hook for it: the bench drives it through its services, tasks and HTTP.
"""
