"""The throwaway PostgreSQL server the DuckLake tests keep their catalogs in."""

import os
import subprocess

from mediawatch import pg_local


def test_server_runs_unprivileged_and_serves_databases(local_postgres):
    dsn = local_postgres.create_database("pg_local_check")
    assert dsn == f"dbname=pg_local_check host=127.0.0.1 port={local_postgres.port} user=mediawatch"
    owner = subprocess.run(
        ["ps", "-o", "user=", "-p", str(local_postgres.process.pid)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if os.geteuid() == 0:
        assert owner in {"postgres", "nobody"}
    listed = subprocess.run(
        [str(local_postgres.bindir / "psql"), dsn, "-Atc", "SELECT current_database()"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.stdout.strip() == "pg_local_check", listed.stderr


def test_stop_removes_the_cluster_folder():
    server = pg_local.start()
    folder = server.folder
    assert (folder / "data" / "PG_VERSION").read_text().strip().isdigit()
    server.stop()
    assert server.process.poll() is not None
    assert not folder.exists()


def test_a_server_whose_owner_was_killed_is_stopped_by_the_next_start():
    orphan = pg_local.start()
    gone = subprocess.Popen(["true"])  # the owner: a process that has ended
    gone.wait()
    (orphan.folder / "owner").write_text(f"{gone.pid} 1")
    survivor = pg_local.start()
    try:
        orphan.process.wait(timeout=15)
        assert not orphan.folder.exists()
        assert survivor.folder.exists() and survivor.process.poll() is None
    finally:
        survivor.stop()
        orphan.stop()
