"""HTTP routes, thin: parse at the edge, one call to a service, answer."""
