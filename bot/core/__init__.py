"""The engine. The edges (`cogs`, `bot.terminal`) never import `bot.nemo`: what they need
of NemoVideo's client is re-exported here."""

from bot.nemo.draft import Draft
from bot.nemo.errors import NemoError
from bot.nemo.multipart import CHUNK_BYTES, file_chunks

__all__ = ["CHUNK_BYTES", "Draft", "NemoError", "file_chunks"]
