"""The config: a frozen, typed :class:`Config` built from ``config.yaml`` and its validation.

Import the model from here; :mod:`kooch.config.holder` keeps the config in force and
:mod:`kooch.config.reload` replaces it when the file changes.
"""

from kooch.config.schema import (
    ACK_PREFIX,
    MAX_CHAT_DESCRIPTION,
    MAX_CHAT_TITLE,
    START_PAYLOAD_RE,
    CampaignSettings,
    Channel,
    Config,
    ConfigError,
    ConfigInvalid,
    PrivacyConfig,
    ReminderConfig,
    Service,
    WebConfig,
    load_config,
    parse_config,
)

__all__ = [
    "ACK_PREFIX",
    "MAX_CHAT_DESCRIPTION",
    "MAX_CHAT_TITLE",
    "START_PAYLOAD_RE",
    "CampaignSettings",
    "Channel",
    "Config",
    "ConfigError",
    "ConfigInvalid",
    "PrivacyConfig",
    "ReminderConfig",
    "Service",
    "WebConfig",
    "load_config",
    "parse_config",
]
