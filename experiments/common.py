"""What every binary shares: bad input becomes one line on stderr and exit status 2."""
import contextlib
import sys

from genjax.errors import InputError
from genjax.train import Diverged


@contextlib.contextmanager
def one_line_errors():
  try:
    yield
  except InputError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  except Diverged as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
