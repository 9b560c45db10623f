"""Practice forms, one module per concern."""
