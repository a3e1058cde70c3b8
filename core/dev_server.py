"""The embedded Temporal dev server's own flags: one list for `make up`, the tests and the benches.

- SQLite in WAL mode, synced at checkpoints: the project's choice for the embedded default.
- The search-attribute cache on. The CLI's dev server turns it off unless this value is given,
  so that attributes created while it runs are usable at once: every workflow start, upsert and
  visibility record then read them from SQLite again — 18 cluster-metadata and 9 namespace reads
  per operation of `make bench` (README, « What each cut bought »). Ours are registered when
  the server starts (`--search-attribute`, as a cluster registers them before a deployment), so
  the cache behaves as a production server's: an attribute created later by hand
  (`temporal operator search-attribute create`) is usable after its refresh (a minute at most).
"""

SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
SEARCH_ATTRIBUTE_CACHE = [
    "--dynamic-config-value",
    "system.forceSearchAttributesCacheRefreshOnRead=false",
]
DEV_SERVER_FLAGS = [*SQLITE_PRAGMAS, *SEARCH_ATTRIBUTE_CACHE]
