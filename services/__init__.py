"""The service layer: use cases that load state, call the pure core and carry out its commands.

Every front-end (terminal phone, Twilio webhooks, FastAGI) goes through these services, so a
call behaves the same whichever way it arrives.
"""
