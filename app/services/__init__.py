"""Write use-cases. Each takes the session first, mutates, flushes and audits, and never commits."""
