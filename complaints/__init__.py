"""Complaints core (pure): kinds and SoP limits, docket numbers, escalation, field SMS, feedback."""
