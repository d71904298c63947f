"""Runs a query written by `leadscore export-sql` on a real engine, over a lead file loaded as a
table of text columns, and writes the rows it returns as CSV with every double at full precision.

    python3 tests/sql/run_query.py --engine duckdb|postgres --sql score.sql --data leads.csv \
        --table leads [--events events.csv --events-table events] --out result.csv

DuckDB comes from PyPI (`pip install duckdb`), Spark too (`pip install pyspark`, with Java 17;
`local[2]`, session time zone UTC). For PostgreSQL (Debian's `postgresql`), a
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
    for table, data in tables(args):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [data])
    result = con.execute(query_text(args.sql))
    names = [d[0] for d in result.description]
    write_rows(args.out, names, result.fetchall())
    return 0


def run_spark(args):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        print("pyspark is not installed (pip install pyspark; it needs Java 17)", file=sys.stderr)
        return NOT_INSTALLED
    spark = (SparkSession.builder.master("local[2]").appName("leadscore-parity")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for table, data in tables(args):
            # Every column as text; quotes doubled inside quoted cells, as in the CSV files.
            frame = spark.read.option("header", True).option("escape", '"').csv(data)
            frame.createOrReplaceTempView(table)
        result = spark.sql(query_text(args.sql))
        write_rows(args.out, result.columns, [tuple(row) for row in result.collect()])
    finally:
        spark.stop()
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A throw-away PostgreSQL cluster in a temporary folder: `with PostgresCluster() as pg:`,
    then `pg.psql(script)` runs a psql script and returns its standard output."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        self.psql_path = shutil.which("psql")
        if not bins or not self.psql_path:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin_dir = os.path.dirname(bins[-1])

    def __enter__(self):
        self.home = tempfile.mkdtemp(prefix="leadscore-pg-")
        self.data, self.sockets = os.path.join(self.home, "data"), os.path.join(self.home, "sockets")
        os.makedirs(self.sockets)
        # initdb refuses to run as root: as root, the server runs as user postgres.
        self.as_server = []
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
            shutil.chown(self.sockets, "postgres")
            self.as_server = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        subprocess.run([*self.as_server, f"{self.bin_dir}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run([*self.as_server, f"{self.bin_dir}/pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.home, "log"),
                        "-o", f"-p {self.port} -k {self.sockets} -c listen_addresses=''", "start"], check=True, capture_output=True)
        return self

    def __exit__(self, *_):
        subprocess.run([*self.as_server, f"{self.bin_dir}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def psql(self, script_text):
        script = os.path.join(self.home, "run.sql")
        with open(script, "w") as f:
            # A query that runs away fails instead of taking the machine with it.
            f.write("SET statement_timeout = '600s';\n")
            f.write(script_text)
        done = subprocess.run([self.psql_path, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.sockets, "-p", str(self.port),
                               "-U", "postgres", "-d", "postgres", "-f", script], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stdout


def load_script(table, data):
    """psql commands that load a CSV file as a table of text columns."""
    columns = ", ".join('"' + c.replace('"', '""') + '" TEXT' for c in header_of(data))
    return (f"CREATE TABLE {table} ({columns});\n"
            f"\\copy {table} FROM '{os.path.abspath(data)}' WITH (FORMAT csv, HEADER true)\n")


def run_postgres(args):
    try:
        cluster = PostgresCluster()
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return NOT_INSTALLED
    with cluster as pg:
        try:
            out = pg.psql("".join(load_script(table, data) for table, data in tables(args))
                          + f"COPY ({query_text(args.sql)}) TO STDOUT WITH (FORMAT csv, HEADER true);\n")
        except RuntimeError as e:
            print(e, file=sys.stderr)
            return 1
    with open(args.out, "w") as f:
        f.write(out)
    return 0


def tables(args):
    """(table, CSV file) pairs to load."""
    pairs = [(args.table, args.data)]
    if args.events:
        pairs.append((args.events_table, args.events))
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "postgres", "spark"], required=True)
    parser.add_argument("--sql", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--table", default="leads")
    parser.add_argument("--events")
    parser.add_argument("--events-table", default="events")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    return {"duckdb": run_duckdb, "postgres": run_postgres, "spark": run_spark}[args.engine](args)


if __name__ == "__main__":
    sys.exit(main())
