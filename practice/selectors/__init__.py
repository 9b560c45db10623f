"""Practice selectors, one module per concern."""
