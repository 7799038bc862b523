"""Outages core (pure): faults and who they cover, fault-feed messages, ETR rules, call forecast."""
