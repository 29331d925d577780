"""The Litestar application of MPP Digital: HTTP, HTML, back office, catalog, applications."""
