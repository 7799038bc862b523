"""Errors of configuration: a bad setting or admin file stops start-up, naming the key."""


class ConfigError(Exception):
    """A setting or configuration file is invalid; the message names the key or path."""
