"""Errors for bad input: each carries one line naming what is wrong and what is expected."""


class InputError(Exception):
  """A bad flag, config value, data file or checkpoint. Binaries print it as one line."""


class ConfigError(InputError):
  """A config field holds a value that is not allowed."""

  def __init__(self, field: str, value, expected: str):
    super().__init__(f"config.{field}={value!r} is invalid: expected {expected}")
    self.field = field


class DataError(InputError):
  """A data set is missing, not prepared, or its files are wrong."""
