"""Settings for Satja, read from the environment."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
