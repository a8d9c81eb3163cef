"""`Frozen`: the base of every rule and config model -- immutable, and unknown keys are an error, not ignored."""

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
