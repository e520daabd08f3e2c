"""The live dashboard: static assets shipped in the package, served by the API server."""
