"""Where a replay to another stratlog stands, kept so that `--resume` continues from there.

The state file records the log position of the last event the target acknowledged, for one
run and one target. It is written after each acknowledged batch, atomically (a temporary
file renamed over it), so it never runs ahead of the target: if a write is lost, the next
`--resume` re-sends batches the target already holds, which it reports as duplicates. By
default it lives in the data directory under `replay-state/`, named by a hash of run and
target, so replays of different runs or to different targets never share one. A replay that
completed leaves its state too: `--resume` later sends only the run's events logged since.
"""

import hashlib
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from replay.errors import StateMismatch

STATE_DIRECTORY = "replay-state"


@dataclass(frozen=True, slots=True)
class ReplayState:
    """The last position the target acknowledged for this run, and how much was sent."""

    run_id: str
    target: str
    position: int
    events: int  # events acknowledged so far, over every resumed attempt
    updated_utc: str


def default_state_path(data_dir: Path, run_id: str, target: str) -> Path:
    """`<data-dir>/replay-state/<hash of run and target>.json`."""
    digest = hashlib.sha256(f"{run_id}\x1f{target}".encode()).hexdigest()[:24]
    return data_dir / STATE_DIRECTORY / f"{digest}.json"


class StateFile:
    """Reads and writes one replay's state file."""

    def __init__(self, path: Path, run_id: str, target: str) -> None:
        self.path, self.run_id, self.target = path, run_id, target

    def load(self) -> ReplayState | None:
        """The recorded state; None when there is none yet. Refuses another replay's state."""
        try:
            data = orjson.loads(self.path.read_bytes())
            state = ReplayState(**data)
        except FileNotFoundError:
            return None
        except (orjson.JSONDecodeError, TypeError) as exc:
            raise StateMismatch(f"{self.path} is not a replay state file: {exc}") from exc
        if (state.run_id, state.target) != (self.run_id, self.target):
            raise StateMismatch(
                f"{self.path} records a replay of run {state.run_id!r} to {state.target}, "
                f"not of run {self.run_id!r} to {self.target}"
            )
        return state

    def save(self, position: int, events: int) -> None:
        """Record that the target acknowledged everything up to `position`."""
        state = ReplayState(
            run_id=self.run_id,
            target=self.target,
            position=position,
            events=events,
            updated_utc=datetime.now(UTC).isoformat(),
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_bytes(orjson.dumps(asdict(state), option=orjson.OPT_INDENT_2))
        os.replace(temporary, self.path)
