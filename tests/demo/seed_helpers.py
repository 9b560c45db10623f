"""A seed stopped where a test chooses: what the demo's resume tests share."""


class Stopped(BaseException):
    """What SIGTERM (SystemExit) or Ctrl-C (KeyboardInterrupt) raises in the seed."""


def stop_at(patch, module, name: str, call: int) -> None:
    """Make the *call*-th call of ``module.name`` stop the seed (before it writes)."""
    real = getattr(module, name)
    calls = []

    def stopping(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Stopped
        return real(*args, **kwargs)

    patch.setattr(module, name, stopping)
