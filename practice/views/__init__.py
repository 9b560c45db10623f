"""Practice views, one module per concern."""
