"""Read-side queries: select()s for views and exports. No writes here."""
