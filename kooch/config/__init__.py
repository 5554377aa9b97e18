"""The config: ``config.yaml`` parsed into a frozen, typed :class:`Config`, or rejected with every error.

Import from here. The modules: ``model`` (Config and its parts, ConfigError, ConfigInvalid);
``load`` (parse_config, load_config: YAML, sections, cross-section and rendering checks);
``yaml_positions`` (each key path's line and column) and ``checker`` (errors, typed reads, hints);
``sections``, ``channels``, ``reminders`` (one reader per section); ``texts`` (built-in texts);
``holder`` (the config in force) and ``reload`` (replaces it when the file changes).
"""

from kooch.config.load import ConfigCheck, load_config, parse_config
from kooch.config.model import (
    ACK_PREFIX,
    MAX_CHAT_DESCRIPTION,
    MAX_CHAT_TITLE,
    START_PAYLOAD_RE,
    ArrivalsTarget,
    CampaignSettings,
    Channel,
    Config,
    ConfigError,
    ConfigInvalid,
    MirrorConfig,
    PrivacyConfig,
    Reach,
    ReminderConfig,
    Service,
    WebConfig,
)

__all__ = [
    "ACK_PREFIX",
    "MAX_CHAT_DESCRIPTION",
    "MAX_CHAT_TITLE",
    "START_PAYLOAD_RE",
    "ArrivalsTarget",
    "CampaignSettings",
    "Channel",
    "Config",
    "ConfigCheck",
    "ConfigError",
    "ConfigInvalid",
    "MirrorConfig",
    "PrivacyConfig",
    "Reach",
    "ReminderConfig",
    "Service",
    "WebConfig",
    "load_config",
    "parse_config",
]
