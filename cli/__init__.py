"""Entry points: the `siao` command line (`siao policies|check|users|demo|up`), above every other
room — nothing imports from here."""
