#!/usr/bin/env python3
"""migrations/schema.sql: the whole schema after the last migration.

Applies every migration to a fresh database (`feedbackd migrate`) and
writes its `pg_dump --schema-only`, without the dump's version header and
session settings, so a reader finds every live table, view, function and
trigger in one file. Migrations stay the history; this is the map.

  schema_snapshot.py --write   rewrite migrations/schema.sql
  schema_snapshot.py           exit 1 (with a diff) when it is not current

Needs FEEDBACKD (the binary) and FEEDBACK_TEST_DATABASE_URL (a server where
databases may be created and dropped).
"""
import argparse
import difflib
import os
import subprocess
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SNAPSHOT = os.path.join(ROOT, "migrations", "schema.sql")
HEADER = """-- The schema after the last migration, as pg_dump --schema-only prints it
-- (without its version header and session settings). Generated: do not
-- edit; `scripts/dev.sh schema` rewrites it, and a test fails when the
-- migrations produce anything else. The migrations are the history.
"""


def dump(admin_url, feedbackd):
    db = "schema_" + uuid.uuid4().hex[:12]
    url = admin_url.rsplit("/", 1)[0] + "/" + db
    subprocess.run(["psql", "-X", "-q", admin_url, "-c", f"CREATE DATABASE {db}"], check=True)
    try:
        subprocess.run([feedbackd, "migrate"], env={**os.environ, "FEEDBACK_DATABASE_URL": url},
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", url],
                             check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["psql", "-X", "-q", admin_url, "-c", f"DROP DATABASE {db}"], check=True)
    lines = []
    for line in out.splitlines():
        if line.startswith(("-- Dumped from", "-- Dumped by", "SET ", "SELECT pg_catalog.set_config",
                            "\\restrict ", "\\unrestrict ")):
            continue
        lines.append(line.rstrip())
    text = "\n".join(lines).strip() + "\n"
    # PostgreSQL Database dump / complete banners stay; blank runs shrink.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return HEADER + "\n" + text


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    want = dump(os.environ["FEEDBACK_TEST_DATABASE_URL"], os.environ["FEEDBACKD"])
    if args.write:
        with open(SNAPSHOT, "w") as f:
            f.write(want)
        print(f"wrote {SNAPSHOT}")
        return 0
    have = open(SNAPSHOT).read() if os.path.exists(SNAPSHOT) else ""
    if have == want:
        print("migrations/schema.sql is current")
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        have.splitlines(True), want.splitlines(True), "migrations/schema.sql (committed)",
        "the schema the migrations produce"))
    print("\nmigrations/schema.sql is stale: run scripts/dev.sh schema", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
