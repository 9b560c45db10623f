"""Settings for running Practica: the base, tightened for production when DEBUG is off."""

from .base import *

if not DEBUG:
    from .production import *
