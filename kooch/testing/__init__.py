"""What the tests (tests/) and the benches (bench/) share: waiting on events (:mod:`.waiting`), a
throw-away PostgreSQL cluster (:mod:`.pg`), the demo config (:mod:`.demo`), free ports
(:mod:`.ports`), HAProxy with the shipped page cache (:mod:`.haproxy`), a bench's own child
process (:mod:`.bench`).

Never imported by the bot itself (an import-linter contract in pyproject.toml says so), and not
shipped in the wheel: it is for a checkout, where tests and benches run.
"""
