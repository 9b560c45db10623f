"""What an import run counts and the lines it reports (skipped rows and why)."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportReport:
    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def skip(self, line: str, *, kind: str = "") -> None:
        """Report a row not imported, and why (one readable line)."""
        self.lines.append(line)
        if kind:
            self.counts[f"skipped {kind}"] += 1

    def note(self, line: str) -> None:
        """Report something the import left out or changed, without a row to blame."""
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")
