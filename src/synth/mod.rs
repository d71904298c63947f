//! Synthetic leads with a planted truth, for demos, tests and accuracy checks.
//!
//! Every lead gets explicit attributes (industry, company size, job level, country, source,
//! product line, e-mail address) and a stream of events over 90 days after creation. The true
//! conversion probability is a logistic function of the explicit attributes and of engagement
//! *before the lead's snapshot* (45 days after creation); converters also get activity after
//! the snapshot, which a model must not see. Apple Mail Privacy Protection opens, newsletter
//! forms and careers-page visits carry no signal. Output is deterministic for a seed,
//! whatever the number of threads.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::config::Source;
use crate::error::Result;
pub use crate::formats::format_timestamp as format_time;
use crate::model::sigmoid;
use crate::output::AtomicFile;

mod exports;
use exports::{Attributes, Export, LeadRecord};

/// Leads per generation chunk (each chunk has its own random stream).
const CHUNK: usize = 5_000;
/// 2025-01-01 00:00:00 UTC.
const START: i64 = 1_735_689_600;
const DAY: i64 = 86_400;
/// Days from creation to snapshot (the moment the lead is scored).
pub const SNAPSHOT_DAYS: i64 = 45;

const INDUSTRIES: [(&str, f64); 8] = [
    ("Software", 0.4),
    ("Finance", 0.2),
    ("Healthcare", 0.1),
    ("Retail", -0.1),
    ("Manufacturing", 0.0),
    ("Education", -0.4),
    ("Government", -0.3),
    ("Media", 0.0),
];
const SIZES: [(&str, f64); 6] = [
    ("1-10", -0.5),
    ("11-50", 0.0),
    ("51-200", 0.3),
    ("201-1000", 0.5),
    ("1001-5000", 0.4),
    ("5000+", 0.2),
];
const LEVELS: [(&str, f64); 6] = [
    ("Student", -1.2),
    ("Individual Contributor", 0.0),
    ("Manager", 0.3),
    ("Director", 0.6),
    ("VP", 0.8),
    ("C-Level", 0.7),
];
const COUNTRIES: [(&str, f64); 10] = [
    ("US", 0.2),
    ("UK", 0.1),
    ("DE", 0.1),
    ("FR", 0.0),
    ("IN", -0.3),
    ("BR", -0.2),
    ("CA", 0.1),
    ("AU", 0.0),
    ("NL", 0.1),
    ("ES", -0.1),
];
const SOURCES: [(&str, f64); 8] = [
    ("Organic Search", 0.2),
    ("Paid Search", 0.1),
    ("Referral", 0.7),
    ("Webinar", 0.4),
    ("Trade Show", 0.3),
    ("Email Campaign", 0.0),
    ("Social", -0.3),
    ("Partner", 0.5),
];
const PRODUCTS: [(&str, f64); 3] = [("Analytics", 0.0), ("CRM", 0.2), ("Marketing Cloud", -0.2)];
/// With planted segments: the product lines and how often each comes (Data Platform is the
/// small segment, about 2 % of leads).
const SEGMENT_PRODUCTS: [(&str, f64, f64); 4] = [
    ("Analytics", 0.0, 0.34),
    ("CRM", 0.2, 0.32),
    ("Marketing Cloud", -0.2, 0.32),
    ("Data Platform", 0.3, 0.02),
];

/// What the truth plants beyond the shared effects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Planted {
    /// Product lines that convert differently: for CRM a demo request weighs twice as much,
    /// for Marketing Cloud company size works the other way, and the small Data Platform line
    /// (about 2 % of leads) values webinars three times as much.
    pub segments: bool,
    /// Conversion that changes over the 18 months the leads are created in: webinars count
    /// more month by month (0.5 → 2.0 per log-attendance), high-value page views less (0.9 →
    /// 0.1), and a new lead source, Product Trial, appears from the tenth month (three leads
    /// in ten from then on) and converts far better than the others (+1.5).
    pub drift: bool,
    /// The same leads as seen this many days later: each lead's snapshot (its cutoff) moves on
    /// by that much, so that its events of those days count too (`score --previous` of the
    /// first file shows who crossed a threshold since). The truth stays the one at 45 days.
    pub days_later: u32,
}

/// Months the leads are created over (545 days).
const MONTHS: f64 = 545.0 / 30.4375;
/// With drift: the lead source that appears from the tenth month, and its effect.
pub const NEW_SOURCE: (&str, f64) = ("Product Trial", 1.5);
const FREE_MAIL: [&str; 4] = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];
const STUDENT: [&str; 3] = ["mit.edu", "stanford.edu", "ox.ac.uk"];
/// Competitor domains planted in the data (use them in `[features] competitor_domains`).
pub const COMPETITORS: [&str; 2] = ["rivalsoft.com", "competico.io"];
const PAGES: [&str; 7] = [
    "/blog/lead-scoring-101",
    "/product",
    "/docs/getting-started",
    "/careers",
    "/pricing",
    "/contact",
    "/blog/mql-vs-sql",
];
const ASSETS: [&str; 3] = ["whitepaper-roi", "ebook-scoring", "case-study-acme"];
const CAMPAIGN_EMAILS: usize = 12;
const BASE_LOG_ODDS: f64 = -3.6;

/// Sizes of what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSummary {
    /// Leads written.
    pub leads: usize,
    /// Events written.
    pub events: usize,
    /// Leads that converted.
    pub conversions: usize,
}

struct Chunk {
    /// One buffer per file of the export, in [`Export::files`] order.
    files: Vec<Vec<u8>>,
    n_events: usize,
    conversions: usize,
}

/// The files `synth --format tool` writes besides `truth.csv`, with their header lines.
pub fn export_files(tool: Source) -> Vec<(&'static str, &'static str)> {
    let mut files = Export(Some(tool)).files();
    files.pop();
    files
}

/// Writes the leads, their events and `truth.csv` (true probabilities) into `out`: as
/// `leads.csv` and `events.csv`, or as the exports of the tool `format` names (see
/// [`Export::files`]).
pub fn generate(
    n_leads: usize,
    seed: u64,
    out: &Path,
    format: Option<Source>,
    planted: Planted,
    mut progress: impl FnMut(usize),
) -> Result<SynthSummary> {
    let export = Export(format);
    let mut files = Vec::new();
    for (name, header) in export.files() {
        let mut file = AtomicFile::create(&out.join(name))?;
        file.write(header.as_bytes())?;
        file.write(b"\n")?;
        files.push(file);
    }

    let chunks = n_leads.div_ceil(CHUNK);
    let mut summary = SynthSummary {
        leads: n_leads,
        events: 0,
        conversions: 0,
    };
    // Generate a few chunks per core at a time, then write them in order.
    let batch = rayon::current_num_threads() * 4;
    for first in (0..chunks).step_by(batch) {
        crate::interrupt::check()?;
        let generated: Vec<Chunk> = (first..(first + batch).min(chunks))
            .into_par_iter()
            .map(|c| generate_chunk(seed, c, c * CHUNK, ((c + 1) * CHUNK).min(n_leads), export, planted))
            .collect();
        for chunk in generated {
            for (file, bytes) in files.iter_mut().zip(&chunk.files) {
                file.write(bytes)?;
            }
            summary.events += chunk.n_events;
            summary.conversions += chunk.conversions;
        }
        progress(((first + batch).min(chunks) * CHUNK).min(n_leads));
    }
    for file in files {
        file.publish()?;
    }
    Ok(summary)
}

fn pick<'a, R: Rng>(rng: &mut R, options: &'a [(&'a str, f64)]) -> (&'a str, f64) {
    options[rng.gen_range(0..options.len())]
}

/// Engagement of one lead before its snapshot, as the truth sees it.
#[derive(Default)]
struct Engagement {
    high_value_views: f64,
    demo_requests: f64,
    human_email_opens: f64,
    clicks: f64,
    downloads: f64,
    webinars: f64,
    unsubscribed: bool,
    last_activity: Option<i64>,
}

#[derive(Default)]
pub(crate) struct Event<'a> {
    time: i64,
    kind: &'a str,
    url: &'a str,
    asset: &'a str,
    form: &'a str,
    email: usize,
    mpp: bool,
}

/// Leads `from..to` of chunk `chunk`, from the chunk's own random stream. Each lead is one story
/// read top to bottom — who it is, what it does, what the truth makes of it, how the CRM exports
/// it — kept in one piece because its random draws must stay in this order for a seed to give
/// the same files (whatever the export format: what only a tool's export has is drawn from a
/// stream of its own).
fn generate_chunk(seed: u64, chunk: usize, from: usize, to: usize, export: Export, planted: Planted) -> Chunk {
    let mut rng = Pcg64::seed_from_u64(seed ^ (chunk as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let interest = Gamma::new(1.1, 1.0).expect("valid gamma parameters");
    let mut out = Chunk {
        files: vec![Vec::new(); export.files().len()],
        n_events: 0,
        conversions: 0,
    };
    let mut events: Vec<Event> = Vec::new();
    let mut sends: Vec<(usize, i64)> = Vec::new();
    for lead in from..to {
        let created = START + rng.gen_range(0..545 * DAY);
        let snapshot = created + SNAPSHOT_DAYS * DAY;
        let (industry, industry_effect) = pick(&mut rng, &INDUSTRIES);
        let (size, size_effect) = pick(&mut rng, &SIZES);
        let (level, level_effect) = pick(&mut rng, &LEVELS);
        let (country, country_effect) = pick(&mut rng, &COUNTRIES);
        let (mut source, mut source_effect) = pick(&mut rng, &SOURCES);
        // With drift, how far through the 18 months the lead was created (0 → 1).
        let elapsed = (created - START) as f64 / (30.4375 * DAY as f64) / MONTHS;
        if planted.drift && elapsed * MONTHS >= 9.0 && rng.gen_bool(0.3) {
            (source, source_effect) = NEW_SOURCE;
        }
        let (webinar_drift, views_weight) = if planted.drift {
            (1.5 * elapsed, 0.9 - 0.8 * elapsed)
        } else {
            (0.0, 0.9)
        };
        let (product, product_effect) = if planted.segments {
            let draw: f64 = rng.gen();
            let mut at = 0.0;
            (SEGMENT_PRODUCTS.iter())
                .find(|(_, _, share)| {
                    at += share;
                    draw < at
                })
                .map_or(("Data Platform", 0.3), |&(name, effect, _)| (name, effect))
        } else {
            pick(&mut rng, &PRODUCTS)
        };
        // The product lines' own effects, when planted.
        let (size_effect, demo_weight, webinar_weight) = match (planted.segments, product) {
            (true, "CRM") => (size_effect, 3.2, 0.5),
            (true, "Marketing Cloud") => (-size_effect, 1.6, 0.5),
            (true, "Data Platform") => (size_effect, 1.6, 1.5),
            _ => (size_effect, 1.6, 0.5),
        };
        let domain_draw: f64 = rng.gen();
        let (domain, domain_effect) = if level == "Student" && domain_draw < 0.7 || domain_draw < 0.04 {
            (STUDENT[rng.gen_range(0..STUDENT.len())].to_string(), -1.0)
        } else if domain_draw < 0.07 {
            (COMPETITORS[rng.gen_range(0..COMPETITORS.len())].to_string(), -2.0)
        } else if domain_draw < 0.30 {
            (FREE_MAIL[rng.gen_range(0..FREE_MAIL.len())].to_string(), -0.4)
        } else {
            (
                format!("{}{}.com", industry.to_lowercase(), rng.gen_range(1..4000)),
                0.0,
            )
        };

        // Engagement: a latent interest drives every kind of activity.
        let mut engaged: f64 = interest.sample(&mut rng);
        if level == "Student" {
            engaged *= 1.3;
        }
        let active_days = if rng.gen_bool(0.3) { 10 } else { 90 };
        events.clear();
        sends.clear();
        activity(&mut rng, &mut events, &mut sends, created, active_days, engaged);

        // The truth sees engagement before the snapshot only.
        let seen = engagement_before(&events, snapshot);
        let days_inactive = seen
            .last_activity
            .map_or(SNAPSHOT_DAYS as f64, |t| (snapshot - t) as f64 / DAY as f64);
        let log_odds = BASE_LOG_ODDS
            + industry_effect
            + size_effect
            + level_effect
            + country_effect
            + source_effect
            + product_effect
            + domain_effect
            + views_weight * seen.high_value_views.ln_1p()
            + demo_weight * seen.demo_requests.min(1.0)
            + 0.35 * seen.human_email_opens.ln_1p()
            + 0.3 * seen.clicks.ln_1p()
            + 0.25 * seen.downloads.ln_1p()
            + (webinar_weight + webinar_drift) * seen.webinars.ln_1p()
            - 0.8 * f64::from(u8::from(seen.unsubscribed))
            - 0.02 * days_inactive;
        let probability = sigmoid(log_odds);
        let converted = rng.gen_bool(probability);
        if converted {
            out.conversions += 1;
            // After the snapshot, converters talk to sales: activity a model must not see.
            for _ in 0..rng.gen_range(2..6) {
                let time = snapshot + rng.gen_range(DAY..30 * DAY);
                events.push(Event {
                    time,
                    kind: "page_view",
                    url: PAGES[4],
                    asset: "",
                    form: "",
                    email: 0,
                    mpp: false,
                });
            }
        }

        // Gaps as CRM exports have them (tidy leads write some as the untouched `Select`).
        let first = ["ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo"][rng.gen_range(0..8)];
        let mut shown = |value: &'static str, missing_rate: f64| (!rng.gen_bool(missing_rate)).then_some(value);
        let attributes = Attributes {
            industry: shown(industry, 0.05),
            size: shown(size, 0.08),
            level: shown(level, 0.10),
            country: shown(country, 0.03),
            source,
            product,
        };
        events.sort_by_key(|e| e.time);
        let record = LeadRecord {
            lead,
            created,
            snapshot: snapshot + i64::from(planted.days_later) * DAY,
            email: format!("{first}.{lead}@{domain}"),
            first,
            attributes,
            converted,
            probability,
            events: &events,
            sends: &sends,
        };
        out.n_events += export.write(&record, &mut out.files, seed);
    }
    out
}

/// A lead's activity over its `active_days` from `created`, driven by its latent interest
/// `engaged`: page views (high-value pages more likely the keener it is), campaign e-mail opens
/// (all of them, at once, for Apple Mail users), clicks, downloads, webinars, forms, unsubscribes.
/// Every campaign e-mail sent goes to `sends` (e-mail, time), opened or not.
fn activity(
    rng: &mut Pcg64,
    events: &mut Vec<Event>,
    sends: &mut Vec<(usize, i64)>,
    created: i64,
    active_days: i64,
    engaged: f64,
) {
    let time_in_window = |rng: &mut Pcg64| created + rng.gen_range(0..active_days * DAY);
    let count = |rng: &mut Pcg64, mean: f64| {
        Poisson::new(mean.max(1e-9))
            .map(|p| p.sample(rng) as usize)
            .unwrap_or(0)
    };
    for _ in 0..count(rng, 3.0 * engaged) {
        let page = if rng.gen_bool((0.12 * engaged).min(0.6)) {
            PAGES[4 + rng.gen_range(0..2)]
        } else {
            PAGES[[0, 1, 2, 3, 6][rng.gen_range(0..5)]]
        };
        events.push(Event {
            time: time_in_window(rng),
            kind: "page_view",
            url: page,
            ..Default::default()
        });
    }
    let apple_mail = rng.gen_bool(0.25);
    for email in 1..=CAMPAIGN_EMAILS {
        let sent = created + (email as i64) * 7 * DAY + rng.gen_range(0..DAY);
        sends.push((email, sent));
        if apple_mail {
            events.push(Event {
                time: sent + 600,
                kind: "email_open",
                email,
                mpp: true,
                ..Default::default()
            });
        } else if sent < created + active_days * DAY && rng.gen_bool((0.25 * engaged).min(0.9)) {
            let time = sent + rng.gen_range(0..2 * DAY);
            events.push(Event {
                time,
                kind: "email_open",
                email,
                ..Default::default()
            });
        }
    }
    for _ in 0..count(rng, 0.5 * engaged) {
        events.push(Event {
            time: time_in_window(rng),
            kind: "email_click",
            email: rng.gen_range(1..=CAMPAIGN_EMAILS),
            ..Default::default()
        });
    }
    for _ in 0..count(rng, 0.4 * engaged) {
        events.push(Event {
            time: time_in_window(rng),
            kind: "download",
            asset: ASSETS[rng.gen_range(0..ASSETS.len())],
            ..Default::default()
        });
    }
    for _ in 0..count(rng, 0.2 * engaged) {
        events.push(Event {
            time: time_in_window(rng),
            kind: "webinar",
            ..Default::default()
        });
    }
    // The newsletter form is filled by the curious, the demo and contact forms by buyers.
    let forms = [
        (0.25, "/newsletter", "newsletter"),
        ((0.06 * engaged).min(0.5), "/demo", "demo_request"),
        ((0.04 * engaged).min(0.3), "/contact", "contact_us"),
    ];
    for (rate, url, form) in forms {
        if rng.gen_bool(rate) {
            events.push(Event {
                time: time_in_window(rng),
                kind: "form_submit",
                url,
                form,
                ..Default::default()
            });
        }
    }
    if rng.gen_bool(0.05) {
        events.push(Event {
            time: time_in_window(rng),
            kind: "unsubscribe",
            ..Default::default()
        });
    }
}

/// What the truth counts of a lead's events up to its snapshot (privacy-proxy opens left out).
fn engagement_before(events: &[Event], snapshot: i64) -> Engagement {
    let mut seen = Engagement::default();
    let mut opened = [false; CAMPAIGN_EMAILS + 1];
    for event in events.iter().filter(|e| e.time <= snapshot) {
        if event.mpp {
            continue;
        }
        seen.last_activity = Some(seen.last_activity.map_or(event.time, |t: i64| t.max(event.time)));
        match event.kind {
            "page_view" | "form_submit"
                if event.url == "/pricing" || event.url == "/contact" || event.url == "/demo" =>
            {
                seen.high_value_views += 1.0
            }
            _ => {}
        }
        match event.kind {
            "form_submit" if event.form == "demo_request" => seen.demo_requests += 1.0,
            "email_open" if !opened[event.email] => {
                opened[event.email] = true;
                seen.human_email_opens += 1.0;
            }
            "email_click" => seen.clicks += 1.0,
            "download" => seen.downloads += 1.0,
            "webinar" => seen.webinars += 1.0,
            "unsubscribe" => seen.unsubscribed = true,
            _ => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formatting_matches_chrono() {
        for t in [0, START, START + 12_345_678, 1_709_210_096 /* 2024-02-29 */] {
            let expected = chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            assert_eq!(format_time(t), expected);
        }
    }

    #[test]
    fn chunks_are_deterministic_for_a_seed() {
        let a = generate_chunk(7, 3, 0, 50, Export(None), Planted::default());
        let b = generate_chunk(7, 3, 0, 50, Export(None), Planted::default());
        let c = generate_chunk(8, 3, 0, 50, Export(None), Planted::default());
        assert_eq!(a.files, b.files);
        assert_ne!(a.files[0], c.files[0]);
        // Every format tells the same leads: the truth differs only by the tools' ids.
        let truth_of = |files: &[Vec<u8>]| -> Vec<String> {
            let text = String::from_utf8(files.last().unwrap().clone()).unwrap();
            text.lines().map(|l| l.split(',').nth(1).unwrap().to_string()).collect()
        };
        for source in Source::ALL {
            let shaped = generate_chunk(7, 3, 0, 50, Export(Some(source)), Planted::default());
            assert_eq!(shaped.files.len(), Export(Some(source)).files().len());
            assert_eq!(truth_of(&shaped.files), truth_of(&a.files), "{source}");
        }
    }
}
