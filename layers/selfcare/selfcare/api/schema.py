"""Base of every HTTP boundary model: validators built on first use, not at import (cold start)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    model_config = ConfigDict(defer_build=True)
