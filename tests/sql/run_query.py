"""Runs a query written by `leadscore export-sql` on a real engine, over a lead file loaded as a
table of text columns, and writes the rows it returns as CSV with every double at full precision.

    python3 tests/sql/run_query.py --engine duckdb|postgres --sql score.sql --data leads.csv \
        --table leads --out result.csv

DuckDB comes from PyPI (`pip install duckdb`). For PostgreSQL (Debian's `postgresql`), a
throw-away cluster is created with initdb in a temporary folder, started with pg_ctl on a free
port and a private socket, and removed afterwards; as root, the server runs as user postgres.
Exit code 2 means the engine is not installed here.
"""
import argparse
import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile

NOT_INSTALLED = 2


def header_of(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f))


def write_rows(path, names, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(names)
        for row in rows:
            out.writerow([repr(v) if isinstance(v, float) else ("" if v is None else v) for v in row])


def query_text(path):
    text = open(path, encoding="utf-8").read().strip()
    return text[:-1] if text.endswith(";") else text


def run_duckdb(args):
    try:
        import duckdb
    except ImportError:
        print("duckdb is not installed (pip install duckdb)", file=sys.stderr)
        return NOT_INSTALLED
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE {args.table} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
        [args.data],
    )
    result = con.execute(query_text(args.sql))
    names = [d[0] for d in result.description]
    write_rows(args.out, names, result.fetchall())
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_postgres(args):
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    psql = shutil.which("psql")
    if not bins or not psql:
        print("PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return NOT_INSTALLED
    bin_dir = os.path.dirname(bins[-1])
    root = os.geteuid() == 0
    home = tempfile.mkdtemp(prefix="leadscore-pg-")
    data, sockets = os.path.join(home, "data"), os.path.join(home, "sockets")
    os.makedirs(sockets)
    as_server = []
    if root:
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
        as_server = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    try:
        subprocess.run([*as_server, f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run([*as_server, f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(home, "log"),
                        "-o", f"-p {port} -k {sockets} -c listen_addresses=''", "start"], check=True, capture_output=True)
        columns = ", ".join('"' + c.replace('"', '""') + '" TEXT' for c in header_of(args.data))
        load = (f"CREATE TABLE {args.table} ({columns});\n"
                f"\\copy {args.table} FROM '{os.path.abspath(args.data)}' WITH (FORMAT csv, HEADER true)\n")
        psql_cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sockets, "-p", str(port), "-U", "postgres", "-d", "postgres"]
        script = os.path.join(home, "run.sql")
        with open(script, "w") as f:
            # A query that runs away fails instead of taking the machine with it.
            f.write("SET statement_timeout = '300s';\n")
            f.write(load)
            f.write(f"COPY ({query_text(args.sql)}) TO STDOUT WITH (FORMAT csv, HEADER true);\n")
        done = subprocess.run([*psql_cmd, "-f", script], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        with open(args.out, "w") as f:
            f.write(done.stdout)
        return 0
    finally:
        subprocess.run([*as_server, f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "postgres"], required=True)
    parser.add_argument("--sql", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--table", default="leads")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    return run_duckdb(args) if args.engine == "duckdb" else run_postgres(args)


if __name__ == "__main__":
    sys.exit(main())
