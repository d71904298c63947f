//! The query as named stages (`WITH cleaned AS (…), typed AS (…), …`), each reading the one
//! before.

use super::dialect::Dialect;

/// The query, stage by stage.
pub(crate) struct Query {
    dialect: Dialect,
    stages: Vec<String>,
}

impl Query {
    pub(crate) fn new(dialect: Dialect) -> Query {
        Query {
            dialect,
            stages: Vec::new(),
        }
    }

    /// A named stage. PostgreSQL would otherwise inline each stage into the next and compute an
    /// expression once per reference (the linear predictor, read by the blend and the model
    /// probability, twice); `MATERIALIZED` computes it once. Spark rejects the keyword and does
    /// not need it.
    pub(crate) fn stage(&mut self, name: &str, columns: &[String], from: &str) {
        let materialized = match self.dialect {
            Dialect::Postgres => " MATERIALIZED",
            _ => "",
        };
        self.stages.push(format!(
            "{name} AS{materialized} (\n  SELECT\n    {}\n  FROM {from}\n)",
            columns.join(",\n    ")
        ));
    }

    pub(crate) fn finish(self, columns: &[String], from: &str, header: &str) -> String {
        format!(
            "{header}\nWITH\n{}\nSELECT\n  {}\nFROM {from}\n",
            self.stages.join(",\n"),
            columns.join(",\n  ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_stages_are_materialized_and_spark_ones_are_not() {
        for (dialect, keyword) in [
            (Dialect::Postgres, true),
            (Dialect::Spark, false),
            (Dialect::Duckdb, false),
        ] {
            let mut query = Query::new(dialect);
            query.stage("first", &["a".into(), "b AS c".into()], "leads");
            query.stage("second", &["a".into()], "first");
            let text = query.finish(&["a".into()], "second", "-- header");
            assert!(text.starts_with("-- header\nWITH\nfirst AS"), "{text}");
            assert_eq!(text.contains("MATERIALIZED"), keyword, "{text}");
            assert!(text.contains("SELECT\n    a,\n    b AS c\n  FROM leads\n)"), "{text}");
            assert!(text.ends_with("SELECT\n  a\nFROM second\n"), "{text}");
        }
    }
}
