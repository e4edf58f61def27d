"""The projection generations: which complete projection store the readers serve from.

A generation is one projection store (a SQLite file, or a PostgreSQL schema; where each lives
is `schema.generations`). `stratlog rebuild` builds a new one beside the live one and swaps
it in; `stratlog verify` builds one it never swaps. This table is the pointer: it lives in
the log database, the one store every process already reaches and that never moves, and the
swap is one transaction on it. No row at all means the first generation is live (data dirs
from before generations existed). A row also carries the progress of a generation being
built (for `/api/status`) and the lease of the process building it.
"""

from sqlalchemy import BigInteger, Column, Float, Integer, Table, Text

from schema.tables.log import LOG_METADATA
from schema.tables.types import UtcDateTime

# Statuses. A rebuild's generation goes building -> live -> retired -> dropped; a verify's
# or a run rebuild's scratch generation goes building -> dropped; a building generation
# made with other projection versions than the code rebuilding is abandoned (then dropped).
BUILDING = "building"
LIVE = "live"
RETIRED = "retired"
DROPPED = "dropped"

# Purposes: what a generation is built for.
REBUILD = "rebuild"  # to be swapped in
VERIFY = "verify"  # to be compared with the live one, then dropped
RUN = "run"  # one run's rows, copied into the live one, then dropped

projection_generations = Table(
    "projection_generations",
    LOG_METADATA,
    Column("name", Text, primary_key=True, doc='"g1", "g2", …: where it lives derives from it.'),
    Column("number", Integer, nullable=False, unique=True),
    Column("purpose", Text, nullable=False, doc="rebuild, verify or run."),
    Column("reason", Text, nullable=False, doc='Why: "manual", "version change", "run <id>"…'),
    Column("status", Text, nullable=False, doc="building, live, retired or dropped."),
    Column("versions", Text, nullable=False, doc="JSON: the projection versions it is built by."),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("swapped_utc", UtcDateTime, doc="When it became live."),
    Column("retired_utc", UtcDateTime, doc="When another one replaced it."),
    Column("dropped_utc", UtcDateTime, doc="When its store was deleted."),
    # The lease of the process building it: another process takes over once it is stale.
    Column("owner", Text, doc="host:pid:token of the building process."),
    Column("heartbeat_utc", UtcDateTime),
    # Progress while building, written with each heartbeat.
    Column("applied_events", BigInteger, nullable=False, default=0, server_default="0"),
    Column("total_events", BigInteger, nullable=False, default=0, server_default="0"),
    Column("head_position", BigInteger, nullable=False, default=0, server_default="0"),
    Column("events_per_second", Float),
)
