"""Built-in model variants. Importing this package registers them."""
from . import growth, metaplastic  # noqa: F401
