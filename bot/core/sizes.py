"""File sizes as people read them."""

from __future__ import annotations

__all__ = ["human_size"]


def human_size(size_bytes: int) -> str:
    """512 KB, 12.5 MB, 200 MB, 1.2 GB (units of 1024); below 1 KB, in bytes."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size_bytes >= scale:
            value = size_bytes / scale
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return f"{text.removesuffix('.0')} {unit}"
    return f"{size_bytes} bytes"
