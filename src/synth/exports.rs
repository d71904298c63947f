//! The same synthetic leads written as the files each tool's export button gives: HubSpot
//! contacts, a Salesforce leads report, Mautic contacts with its activity tables, Pardot
//! prospects with their visitor activities, Marketo leads with the activity log — each with the
//! tool's column names, ids, date formats, stage and score columns, and activity names. The
//! files are made here, never copied from anywhere; they are what `--source` presets are tested
//! on. Privacy-proxy opens, which these exports have no column to tell apart, are left out of
//! them (the tidy files mark them, and training gives them no weight).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::Event;
use crate::config::Source;
use crate::formats::format_timestamp;

/// Who a lead is, as its export shows it (`None`: the CRM has nothing).
pub(super) struct Attributes {
    pub industry: Option<&'static str>,
    pub size: Option<&'static str>,
    pub level: Option<&'static str>,
    pub country: Option<&'static str>,
    pub source: &'static str,
    pub product: &'static str,
}

/// One synthetic lead with everything any export writes of it.
pub(super) struct LeadRecord<'a> {
    pub lead: usize,
    pub created: i64,
    pub snapshot: i64,
    pub first: &'a str,
    pub email: String,
    pub attributes: Attributes,
    pub converted: bool,
    pub probability: f64,
    /// Its events, in time order.
    pub events: &'a [Event<'a>],
    /// The campaign e-mails sent to it (e-mail, time), opened or not.
    pub sends: &'a [(usize, i64)],
}

/// How synthetic leads are written: the tidy `leads.csv` + `events.csv`, or a tool's exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Export(pub Option<Source>);

const TRUTH: (&str, &str) = ("truth.csv", "lead_id,true_probability");

impl Export {
    /// The files written, with their header lines; `truth.csv` is always last.
    pub fn files(self) -> Vec<(&'static str, &'static str)> {
        let files: &[(&str, &str)] = match self.0 {
            None => &[
                (
                    "leads.csv",
                    "lead_id,created_at,snapshot_at,email,industry,company_size,job_level,country,lead_source,product_line,converted",
                ),
                ("events.csv", "lead_id,timestamp,event_type,url,asset,form_id,email_id,is_mpp"),
            ],
            Some(Source::Hubspot) => &[(
                "contacts.csv",
                "Record ID,First Name,Email,Create Date,Industry,Company Size,Seniority,Country/Region,Original Source,Product Interest,Lifecycle Stage,HubSpot Score",
            )],
            Some(Source::Salesforce) => &[(
                "leads.csv",
                "Lead ID,First Name,Email,Created Date,Industry,Company Size,Job Level,Country,Lead Source,Product Interest,Lead Status,Converted",
            )],
            Some(Source::Mautic) => &[
                (
                    "contacts.csv",
                    "id,firstname,email,date_added,industry,company_size,position,country,lead_source,product_line,points,stage",
                ),
                ("page_hits.csv", "id,date_hit,url,lead_id,email_id,source,user_agent"),
                ("email_stats.csv", "id,email_id,lead_id,date_sent,is_read,date_read"),
                ("form_submissions.csv", "id,form_id,lead_id,date_submitted,referer"),
                ("asset_downloads.csv", "id,asset_id,lead_id,date_download,source"),
                ("do_not_contact.csv", "id,lead_id,date_added,reason,channel"),
            ],
            Some(Source::Pardot) => &[
                (
                    "prospects.csv",
                    "Id,First Name,Email,Created Date,Industry,Company Size,Job Title,Country,Source,Product Interest,Score,Grade,Opportunity Status",
                ),
                ("visitor_activities.csv", "Prospect ID,Activity,Details,URL,Date"),
            ],
            Some(Source::Marketo) => &[
                (
                    "leads.csv",
                    "Id,First Name,Email Address,Created At,Industry,Company Size,Job Level,Country,Lead Source,Product Interest,Lead Score,Lead Status,Revenue Stage",
                ),
                (
                    "activities.csv",
                    "Activity ID,Lead ID,Activity Date,Activity Type,Primary Attribute Value,Webpage URL",
                ),
            ],
        };
        let mut files = files.to_vec();
        files.push(TRUTH);
        files
    }

    /// Writes one lead into `files` (in [`Export::files`] order); returns the rows of activity
    /// written. What only a tool's export has (a stage, a score, sends left unopened) is drawn
    /// from a stream of the lead's own, so every format tells the same leads.
    pub fn write(self, lead: &LeadRecord, files: &mut [Vec<u8>], seed: u64) -> usize {
        let mut rng = Pcg64::seed_from_u64(seed ^ 0x5EED_C0DE ^ (lead.lead as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let (truth, files) = files.split_last_mut().expect("truth.csv is always written");
        let (id, activity) = match self.0 {
            None => tidy(lead, files),
            Some(Source::Hubspot) => (hubspot(lead, &mut rng, files), 0),
            Some(Source::Salesforce) => (salesforce(lead, &mut rng, files), 0),
            Some(Source::Mautic) => mautic(lead, &mut rng, files),
            Some(Source::Pardot) => pardot(lead, &mut rng, files),
            Some(Source::Marketo) => marketo(lead, &mut rng, files),
        };
        line(truth, &[&id, &format!("{:.6}", lead.probability)]);
        activity
    }
}

/// Appends one CSV line.
fn line(out: &mut Vec<u8>, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::output::push_csv_field(out, field);
    }
    out.push(b'\n');
}

/// One line of a tool's lead export: `id, first name, e-mail, created`, who the lead is
/// (`source` as the tool names it), then the tool's own columns (`tail`).
fn lead_line(out: &mut Vec<u8>, lead: &LeadRecord, id: &str, created: &str, source: &str, tail: &[&str]) {
    let a = &lead.attributes;
    let first = capitalised(lead.first);
    let mut fields: Vec<&str> = vec![id, &first, &lead.email, created];
    fields.extend([
        a.industry.unwrap_or(""),
        a.size.unwrap_or(""),
        a.level.unwrap_or(""),
        a.country.unwrap_or(""),
        source,
        a.product,
    ]);
    fields.extend_from_slice(tail);
    line(out, &fields);
}

/// What a tool's activity export calls each kind of activity.
struct ActivityNames {
    sent: &'static str,
    page_view: &'static str,
    email_open: &'static str,
    email_click: &'static str,
    form_submit: &'static str,
    download: &'static str,
    webinar: &'static str,
    unsubscribe: &'static str,
}

/// A lead's e-mails sent, then its activities (privacy-proxy opens left out), each as
/// `(activity, detail, url, time)`: the detail is the page, e-mail, form or asset; the url the
/// page a form was on.
fn each_activity(lead: &LeadRecord, names: &ActivityNames, mut write: impl FnMut(&str, &str, &str, i64)) {
    for &(email, sent) in lead.sends {
        write(names.sent, &e_mail(email), "", sent);
    }
    for e in lead.events {
        match e.kind {
            "page_view" => write(names.page_view, e.url, "", e.time),
            "email_open" if !e.mpp => write(names.email_open, &e_mail(e.email), "", e.time),
            "email_click" => write(names.email_click, &e_mail(e.email), "", e.time),
            "form_submit" => write(names.form_submit, e.form, e.url, e.time),
            "download" => write(names.download, e.asset, "", e.time),
            "webinar" => write(names.webinar, "Monthly product webinar", "", e.time),
            "unsubscribe" => write(names.unsubscribe, "", "", e.time),
            _ => {}
        }
    }
}

/// `12/6/2024 5:14 AM` (with `:SS` when `seconds`), as US-locale exports write times.
fn us_time(t: i64, seconds: bool) -> String {
    let when = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    when.format(if seconds {
        "%-m/%-d/%Y %-I:%M:%S %p"
    } else {
        "%-m/%-d/%Y %-I:%M %p"
    })
    .to_string()
}

/// `2024-12-06T05:14:00Z`.
fn iso_z(t: i64) -> String {
    format_timestamp(t).replacen(' ', "T", 1) + "Z"
}

fn e_mail(number: usize) -> String {
    format!("campaign-{number:02}")
}

/// A score the tool computed, which knows something of the outcome (it saw the activity after
/// it too): what a model must not learn from.
fn tool_score(lead: &LeadRecord, rng: &mut Pcg64, scale: f64) -> String {
    let late = lead.events.iter().filter(|e| e.time > lead.snapshot).count() as f64;
    let raw = scale * (lead.probability + 0.1 * late) + rng.gen_range(-5.0..5.0);
    format!("{}", raw.round().clamp(0.0, scale * 1.5) as i64)
}

/// A stage short of the customer one, more advanced the likelier the lead.
fn stage<'s>(lead: &LeadRecord, rng: &mut Pcg64, stages: &[&'s str]) -> &'s str {
    let reach = (lead.probability * 2.0 + rng.gen_range(0.0..0.8)).min(0.999);
    stages[(reach * stages.len() as f64) as usize]
}

/// The tidy `leads.csv` and `events.csv`: placeholders as the X Education export has them.
fn tidy(lead: &LeadRecord, files: &mut [Vec<u8>]) -> (String, usize) {
    let id = format!("L{:07}", lead.lead + 1);
    let a = &lead.attributes;
    line(
        &mut files[0],
        &[
            &id,
            &format_timestamp(lead.created),
            &format_timestamp(lead.snapshot),
            &lead.email,
            a.industry.unwrap_or("Select"),
            a.size.unwrap_or(""),
            a.level.unwrap_or("Select"),
            a.country.unwrap_or(""),
            a.source,
            a.product,
            if lead.converted { "1" } else { "0" },
        ],
    );
    for e in lead.events {
        let email = if e.email > 0 { e_mail(e.email) } else { String::new() };
        line(
            &mut files[1],
            &[
                &id,
                &format_timestamp(e.time),
                e.kind,
                e.url,
                e.asset,
                e.form,
                &email,
                if e.mpp { "1" } else { "0" },
            ],
        );
    }
    (id, lead.events.len())
}

fn hubspot(lead: &LeadRecord, rng: &mut Pcg64, files: &mut [Vec<u8>]) -> String {
    let id = format!("{}", 9_100_001 + lead.lead);
    let a = &lead.attributes;
    let source = match a.source {
        "Organic Search" => "ORGANIC_SEARCH",
        "Paid Search" => "PAID_SEARCH",
        "Referral" => "REFERRALS",
        "Webinar" => "OTHER_CAMPAIGNS",
        "Trade Show" => "OFFLINE",
        "Email Campaign" => "EMAIL_MARKETING",
        "Social" => "SOCIAL_MEDIA",
        _ => "DIRECT_TRAFFIC",
    };
    let stage = if lead.converted {
        "customer"
    } else {
        stage(
            lead,
            rng,
            &[
                "subscriber",
                "lead",
                "marketingqualifiedlead",
                "salesqualifiedlead",
                "opportunity",
            ],
        )
    };
    let score = tool_score(lead, rng, 100.0);
    lead_line(
        &mut files[0],
        lead,
        &id,
        &us_time(lead.created, false),
        source,
        &[stage, &score],
    );
    id
}

fn salesforce(lead: &LeadRecord, rng: &mut Pcg64, files: &mut [Vec<u8>]) -> String {
    let id = format!("00Q5g00000{:08X}", 0x2A_0000 + lead.lead);
    let a = &lead.attributes;
    let status = if lead.converted {
        "Closed - Converted"
    } else {
        stage(
            lead,
            rng,
            &["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"],
        )
    };
    let converted = if lead.converted { "1" } else { "0" };
    lead_line(
        &mut files[0],
        lead,
        &id,
        &us_time(lead.created, false),
        a.source,
        &[status, converted],
    );
    id
}

fn mautic(lead: &LeadRecord, rng: &mut Pcg64, files: &mut [Vec<u8>]) -> (String, usize) {
    let id = format!("{}", lead.lead + 1);
    let a = &lead.attributes;
    let stage = if lead.converted {
        "Customer"
    } else {
        stage(lead, rng, &["", "Lead", "MQL", "SQL"])
    };
    line(
        &mut files[0],
        &[
            &id,
            lead.first,
            &lead.email,
            &format_timestamp(lead.created),
            a.industry.unwrap_or(""),
            a.size.unwrap_or(""),
            a.level.unwrap_or(""),
            a.country.unwrap_or(""),
            a.source,
            a.product,
            &tool_score(lead, rng, 150.0),
            stage,
        ],
    );
    // Each table's own row ids, from the lead's number.
    let row_id = |k: usize| format!("{}", (lead.lead + 1) * 1000 + k);
    let mut rows = 0;
    for (k, e) in lead.events.iter().enumerate() {
        let at = format_timestamp(e.time);
        match e.kind {
            "page_view" => line(&mut files[1], &[&row_id(k), &at, e.url, &id, "", "", "Mozilla/5.0"]),
            "email_click" => {
                let email = e_mail(e.email);
                line(
                    &mut files[1],
                    &[
                        &row_id(k),
                        &at,
                        &format!("/r/{email}"),
                        &id,
                        &email,
                        "email",
                        "Mozilla/5.0",
                    ],
                );
            }
            "form_submit" => line(&mut files[3], &[&row_id(k), e.form, &id, &at, e.url]),
            // Mautic has no webinars: registrations come in through a form.
            "webinar" => line(
                &mut files[3],
                &[&row_id(k), "webinar_registration", &id, &at, "/webinar"],
            ),
            "download" => line(&mut files[4], &[&row_id(k), e.asset, &id, &at, "web"]),
            "unsubscribe" => line(&mut files[5], &[&row_id(k), &id, &at, "unsubscribed", "email"]),
            // E-mail opens are the stats' read dates, below.
            _ => continue,
        }
        rows += 1;
    }
    for (k, &(email, sent)) in lead.sends.iter().enumerate() {
        let read = (lead.events.iter()).find(|e| e.kind == "email_open" && e.email == email && !e.mpp);
        let (is_read, date_read) = match read {
            Some(open) => ("1", format_timestamp(open.time)),
            None => ("0", String::new()),
        };
        line(
            &mut files[2],
            &[
                &row_id(500 + k),
                &e_mail(email),
                &id,
                &format_timestamp(sent),
                is_read,
                &date_read,
            ],
        );
        rows += 1;
    }
    (id, rows)
}

fn pardot(lead: &LeadRecord, rng: &mut Pcg64, files: &mut [Vec<u8>]) -> (String, usize) {
    let id = format!("{}", 23_000_001 + lead.lead);
    let a = &lead.attributes;
    let opportunity = if lead.converted {
        "Won"
    } else {
        stage(lead, rng, &["", "", "Open", "Lost"])
    };
    let score = tool_score(lead, rng, 200.0);
    let grade = ["D", "C", "B", "A"][(lead.probability * 4.0).min(3.0) as usize];
    let created = format_timestamp(lead.created);
    lead_line(
        &mut files[0],
        lead,
        &id,
        &created,
        a.source,
        &[&score, grade, opportunity],
    );
    let names = ActivityNames {
        sent: "Email Sent",
        page_view: "Page View",
        email_open: "Email Open",
        email_click: "Email Click",
        form_submit: "Form",
        download: "File",
        webinar: "Webinar",
        unsubscribe: "Opt Out",
    };
    let mut rows = 0;
    each_activity(lead, &names, |kind, details, url, t| {
        line(&mut files[1], &[&id, kind, details, url, &us_time(t, true)]);
        rows += 1;
    });
    (id, rows)
}

fn marketo(lead: &LeadRecord, rng: &mut Pcg64, files: &mut [Vec<u8>]) -> (String, usize) {
    let id = format!("{}", 1_000_001 + lead.lead);
    let a = &lead.attributes;
    let (status, revenue_stage) = if lead.converted {
        ("Converted", "Customer")
    } else {
        (
            stage(lead, rng, &["Open", "Contacted", "Disqualified"]),
            stage(lead, rng, &["Known", "Engaged", "MQL", "SQL"]),
        )
    };
    let score = tool_score(lead, rng, 100.0);
    lead_line(
        &mut files[0],
        lead,
        &id,
        &iso_z(lead.created),
        a.source,
        &[&score, status, revenue_stage],
    );
    let names = ActivityNames {
        sent: "Send Email",
        page_view: "Visit Webpage",
        email_open: "Open Email",
        email_click: "Click Email",
        form_submit: "Fill Out Form",
        download: "Click Link",
        webinar: "Attend Event",
        unsubscribe: "Unsubscribe Email",
    };
    let mut rows = 0;
    each_activity(lead, &names, |kind, primary, url, t| {
        rows += 1;
        let activity_id = format!("{}", (lead.lead + 1) * 1000 + rows);
        line(&mut files[1], &[&activity_id, &id, &iso_z(t), kind, primary, url]);
    });
    (id, rows)
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
