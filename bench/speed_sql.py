"""Scoring at warehouse scale: `leadscore export-sql` on DuckDB, PostgreSQL and Spark against
`leadscore score`, on the same 1,000,000 synthetic leads (no events), in one run.

A model with the column rules of tests/fixtures/column_rules.toml is trained on 200,000
synthetic leads; 1,000,000 new ones are scored by `leadscore score` (CSV → CSV) and by the
exported query, which runs as `CREATE TABLE scored AS <query>` over the leads loaded as a table
of text columns (loading is timed apart; on Spark, local[2], the query's result is computed in
full and discarded with the `noop` writer). The first 10,000 rows of each engine are checked
against leadscore's scores.

    python3 bench/speed_sql.py [--leads 1000000]
"""
import argparse
import sys
import time

import pandas as pd

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests" / "sql"))
from run_query import PostgresCluster, load_script, query_text  # noqa: E402

from common import BINARY, OUT, ROOT, build_leadscore, machine, run_measured  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    build_leadscore()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    history, batch = OUT / "sql-history", OUT / "sql-batch"
    run_measured([BINARY, "synth", "--leads", "200000", "--seed", "41", "--out", history])
    run_measured([BINARY, "synth", "--leads", str(args.leads), "--seed", "42", "--out", batch])
    model = OUT / "sql.lsm"
    run_measured([BINARY, "train", "--config", ROOT / "data" / "synth.toml", "--rules", ROOT / "tests" / "fixtures" / "column_rules.toml",
                  "--data", history / "leads.csv", "--out", model])
    data = batch / "leads.csv"
    scored = OUT / "sql-scored.parquet"
    seconds, rss, _, _ = run_measured([BINARY, "score", "--model", model, "--data", data, "--as-of", "2026-01-01", "--out", OUT / "sql-scored.csv"])
    run_measured([BINARY, "score", "--model", model, "--data", data, "--as-of", "2026-01-01", "--out", scored])
    expected = pd.read_parquet(scored).set_index("lead_id")
    rows = [("leadscore score (CSV → CSV)", None, seconds, f"{rss:.0f} MiB peak")]

    def check(frame, engine):
        frame = frame.set_index("lead_id")
        common = frame.index.intersection(expected.index)
        diff = (frame.loc[common, "probability"] - expected.loc[common, "probability"]).abs().max()
        if diff > 1e-9:
            sys.exit(f"{engine}: probabilities differ by {diff}")
        return diff

    import duckdb
    sql = OUT / "score-duckdb.sql"
    run_measured([BINARY, "export-sql", "--model", model, "--dialect", "duckdb", "--as-of", "2026-01-01", "--out", sql])
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE leads AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(data)])
    load = time.perf_counter() - start
    start = time.perf_counter()
    con.execute(f"CREATE TABLE scored AS {query_text(sql)}")
    query = time.perf_counter() - start
    diff = check(con.execute("SELECT * FROM scored LIMIT 10000").df(), "DuckDB")
    rows.append((f"DuckDB {duckdb.__version__}", load, query, f"max |Δp| {diff:.1e} on 10,000 rows"))

    sql = OUT / "score-postgres.sql"
    run_measured([BINARY, "export-sql", "--model", model, "--dialect", "postgres", "--as-of", "2026-01-01", "--out", sql])
    with PostgresCluster() as pg:
        start = time.perf_counter()
        pg.psql(load_script("leads", data))
        load = time.perf_counter() - start
        start = time.perf_counter()
        pg.psql(f"CREATE TABLE scored AS {query_text(sql)};\n")
        query = time.perf_counter() - start
        out = OUT / "sql-postgres-sample.csv"
        out.write_text(pg.psql("COPY (SELECT * FROM scored LIMIT 10000) TO STDOUT WITH (FORMAT csv, HEADER true);\n"))
        version = pg.psql("COPY (SELECT current_setting('server_version')) TO STDOUT;\n").strip()
        diff = check(pd.read_csv(out), "PostgreSQL")
    rows.append((f"PostgreSQL {version}", load, query, f"max |Δp| {diff:.1e} on 10,000 rows"))

    from pyspark.sql import SparkSession
    sql = OUT / "score-spark.sql"
    run_measured([BINARY, "export-sql", "--model", model, "--dialect", "spark", "--as-of", "2026-01-01", "--out", sql])
    spark = (SparkSession.builder.master("local[2]").config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter()
    leads = spark.read.option("header", True).option("escape", '"').csv(str(data)).cache()
    leads.count()
    leads.createOrReplaceTempView("leads")
    load = time.perf_counter() - start
    start = time.perf_counter()
    spark.sql(query_text(sql)).write.format("noop").mode("overwrite").save()
    query = time.perf_counter() - start
    diff = check(spark.sql(query_text(sql)).limit(10000).toPandas(), "Spark")
    rows.append((f"Spark {spark.version} local[2]", load, query, f"max |Δp| {diff:.1e} on 10,000 rows"))
    spark.stop()

    print(f"\nscoring {args.leads:,} leads ({data.stat().st_size / 2**20:.0f} MiB CSV):")
    print(f"{'':32} {'load':>8} {'score':>8}  note")
    for name, load, query, note in rows:
        load_text = "–" if load is None else f"{load:.1f} s"
        print(f"{name:32} {load_text:>8} {query:>6.1f} s  {note}")


if __name__ == "__main__":
    main()
