//! Presets for the exports of the CRMs and marketing-automation tools teams score leads from:
//! the id, outcome and creation columns of each tool's standard lead export, how it writes
//! dates, the columns that must not be learned from, and the shapes of its activity exports.
//!
//! A preset is a config file of its own (`presets/*.toml`, shown by `docs/crm-exports.md`),
//! laid under the user's: what the user's file sets wins, except that `[features] exclude`
//! and `[[events.files]]` add to the preset's.

use serde::{Deserialize, Serialize};

/// The tool a lead export comes from (`--source`, `[data] source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// HubSpot contacts export.
    Hubspot,
    /// Salesforce leads report or Data Loader export.
    Salesforce,
    /// Mautic contacts export, with its page hits, e-mail stats, form submissions, asset
    /// downloads and do-not-contact exports as events.
    Mautic,
    /// Pardot (Account Engagement) prospects export, with its visitor activities as events.
    Pardot,
    /// Marketo lead export, with its activity log as events.
    Marketo,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 5] = [
        Source::Hubspot,
        Source::Salesforce,
        Source::Mautic,
        Source::Pardot,
        Source::Marketo,
    ];

    /// The word of `--source` and `[data] source`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Hubspot => "hubspot",
            Source::Salesforce => "salesforce",
            Source::Mautic => "mautic",
            Source::Pardot => "pardot",
            Source::Marketo => "marketo",
        }
    }

    /// The source a word names.
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name.trim().to_lowercase())
    }

    /// The preset's config text.
    pub fn preset(self) -> &'static str {
        match self {
            Source::Hubspot => include_str!("presets/hubspot.toml"),
            Source::Salesforce => include_str!("presets/salesforce.toml"),
            Source::Mautic => include_str!("presets/mautic.toml"),
            Source::Pardot => include_str!("presets/pardot.toml"),
            Source::Marketo => include_str!("presets/marketo.toml"),
        }
    }
}

impl Source {
    /// The columns the preset leaves out by name (`[features] exclude`), which an export may or
    /// may not have.
    pub fn preset_exclusions(self) -> Vec<String> {
        let table: toml::Table = toml::from_str(self.preset()).unwrap_or_default();
        (table
            .get("features")
            .and_then(|f| f.get("exclude"))
            .and_then(toml::Value::as_array))
        .map(|list| list.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Keys whose lists add to the preset's rather than replace them.
const ADDED_LISTS: [&str; 2] = ["features.exclude", "events.files"];

/// Lays the user's config table over a preset's: tables merge key by key, the user's values
/// replace the preset's, and the lists of [`ADDED_LISTS`] are joined (the user's entries
/// first, so that the user's event shapes are tried before the preset's).
pub fn lay_over(preset: &mut toml::Table, user: toml::Table) {
    lay_over_at(preset, user, "");
}

fn lay_over_at(preset: &mut toml::Table, user: toml::Table, at: &str) {
    for (key, value) in user {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        match (preset.get_mut(&key), value) {
            (Some(toml::Value::Table(under)), toml::Value::Table(over)) => lay_over_at(under, over, &path),
            (Some(toml::Value::Array(under)), toml::Value::Array(mut over)) if ADDED_LISTS.contains(&path.as_str()) => {
                for item in under.drain(..) {
                    if !over.contains(&item) {
                        over.push(item);
                    }
                }
                *under = over;
            }
            (_, value) => {
                preset.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_as_a_config() {
        for source in Source::ALL {
            let config = crate::config::Config::parse_with("", std::path::Path::new("x.toml"), Some(source))
                .unwrap_or_else(|e| panic!("{source}: {e}"));
            assert!(config.data.id.is_some() && config.data.target.is_some(), "{source}");
            assert_eq!(config.data.source, Some(source));
            assert_eq!(Source::from_name(source.name()), Some(source));
        }
    }

    #[test]
    fn the_users_values_win_and_lists_add_up() {
        let mut preset: toml::Table = toml::from_str(
            "[data]\nid = \"Record ID\"\ntime = \"Create Date\"\n[features]\nexclude = [\"a\", \"b\"]\n",
        )
        .unwrap();
        let user: toml::Table =
            toml::from_str("[data]\nid = \"Email\"\n[features]\nexclude = [\"b\", \"c\"]\nmin_frequency = 3\n")
                .unwrap();
        lay_over(&mut preset, user);
        let expected: toml::Table = toml::from_str(
            "[data]\nid = \"Email\"\ntime = \"Create Date\"\n[features]\nexclude = [\"b\", \"c\", \"a\"]\nmin_frequency = 3\n",
        )
        .unwrap();
        assert_eq!(preset, expected);
    }
}
