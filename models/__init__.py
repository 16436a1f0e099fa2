"""Built-in model variants. Importing this package registers them."""
from . import growth  # noqa: F401
