//! Typed column values: numbers, yes/no, categories and timestamps, with missing cells marked.

/// Code of a missing category.
pub const MISSING: u32 = u32::MAX;
/// Distinct raw texts of a column whose cleaning [`Categorical::from_raw`] remembers.
const RAW_CACHE: usize = 4096;

/// A dictionary-encoded text column: `codes[i]` indexes `levels`, or is [`MISSING`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Categorical {
    /// One code per row.
    pub codes: Vec<u32>,
    /// Distinct values in order of first appearance.
    pub levels: Vec<String>,
}

impl Categorical {
    /// Builds the dictionary from optional text values.
    pub fn from_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut index: polars::prelude::PlHashMap<&'a str, u32> = Default::default();
        let mut levels = Vec::new();
        let codes = values
            .into_iter()
            .map(|value| match value {
                None => MISSING,
                Some(text) => *index.entry(text).or_insert_with(|| {
                    levels.push(text.to_string());
                    (levels.len() - 1) as u32
                }),
            })
            .collect();
        Categorical { codes, levels }
    }

    /// Builds the dictionary from raw cells, each cleaned by `clean` (`None`: missing): the same
    /// as cleaning every cell first, but the first `RAW_CACHE` distinct raw texts are cleaned
    /// once each rather than once per row (columns of a few categories repeat them all along;
    /// columns of unique texts, such as e-mail addresses, do not fill the cache twice over).
    pub fn from_raw<'a>(
        cells: impl IntoIterator<Item = Option<&'a str>>,
        clean: impl Fn(&'a str) -> Option<&'a str>,
    ) -> Self {
        let mut raw_codes: polars::prelude::PlHashMap<&'a str, u32> = Default::default();
        let mut index: polars::prelude::PlHashMap<&'a str, u32> = Default::default();
        let mut levels = Vec::new();
        let codes = cells
            .into_iter()
            .map(|cell| {
                let raw = cell?;
                if let Some(&code) = raw_codes.get(raw) {
                    return Some(code);
                }
                let code = match clean(raw) {
                    None => MISSING,
                    Some(text) => *index.entry(text).or_insert_with(|| {
                        levels.push(text.to_string());
                        (levels.len() - 1) as u32
                    }),
                };
                if raw_codes.len() < RAW_CACHE {
                    raw_codes.insert(raw, code);
                }
                Some(code)
            })
            .map(|code| code.unwrap_or(MISSING))
            .collect();
        Categorical { codes, levels }
    }

    /// The value of row `i`, if present.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            MISSING => None,
            code => Some(&self.levels[code as usize]),
        }
    }
}

/// The cells of one typed column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Numbers; NaN is missing.
    Numeric(Vec<f64>),
    /// Yes/no as 1/0; NaN is missing.
    Boolean(Vec<f64>),
    /// Labels.
    Categorical(Categorical),
    /// Seconds since 1970-01-01 UTC.
    Datetime(Vec<Option<i64>>),
}

impl Values {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) | Values::Boolean(v) => v.len(),
            Values::Categorical(c) => c.codes.len(),
            Values::Datetime(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Values::Numeric(v) | Values::Boolean(v) => v[i].is_nan(),
            Values::Categorical(c) => c.codes[i] == MISSING,
            Values::Datetime(v) => v[i].is_none(),
        }
    }

    /// A short name of the type, for messages and `inspect`.
    pub fn kind(&self) -> &'static str {
        match self {
            Values::Numeric(_) => "numeric",
            Values::Boolean(_) => "boolean",
            Values::Categorical(_) => "categorical",
            Values::Datetime(_) => "datetime",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_cells_cleaned_once_give_the_same_dictionary() {
        let raw = [
            Some(" A"),
            Some("b "),
            None,
            Some("A"),
            Some("NA"),
            Some("b"),
            Some(" A"),
            Some("c"),
            Some("NA"),
        ];
        fn clean(text: &str) -> Option<&str> {
            Some(text.trim()).filter(|t| *t != "NA")
        }
        let once = Categorical::from_raw(raw, clean);
        let every = Categorical::from_values(raw.map(|cell| cell.and_then(clean)));
        assert_eq!(once, every);
        assert_eq!(once.levels, ["A", "b", "c"]);
        assert_eq!(once.codes, [0, 1, MISSING, 0, MISSING, 1, 0, 2, MISSING]);
    }
}
