"""Pure geometry and vocabulary code for StepFree: no Flask, no SQLAlchemy, no app imports."""
