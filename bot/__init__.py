"""nemobot: NemoVideo editing sessions in Discord threads and in the terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nemobot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"
