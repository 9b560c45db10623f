"""The demo's text: phrase banks its generators draw from (plain constants, no Django)."""
