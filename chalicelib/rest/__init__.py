"""The REST edge: parsing requests, resolving the caller, shaping replies and errors per ../shared/API.md."""
