"""The server core every provider runs on: the dispatch pipeline, ProviderDef, services, rate limiter,
images, fetching."""
