"""Settings modules: ``default`` (base, tightened by ``production`` when DEBUG is off) and
``test``. Every value that varies between deployments is read from the environment in ``base``."""
