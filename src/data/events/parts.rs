//! The events of a lead file too large to hold, split on disk by the chunk of leads each event
//! belongs to, so that scoring reads the leads chunk by chunk and meets each event once.
//!
//! The leads are read once for their ids (kept as 8-byte hashes with their chunk number, 16 bytes
//! a lead), then the events file is streamed once and every event of a known lead is written,
//! already checked and typed, to its chunk's part file. A chunk's events are then read back from
//! its part alone, where the leads' own ids and cutoffs decide which count, exactly as with the
//! whole file.

use std::collections::BTreeSet;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::log::{stream_csv, EventLog, EventRecord, LeadIndex, Route};
use crate::data::infer::MissingTokens;
use crate::error::{Error, Result};

/// The start of the temporary folder's name, in TMPDIR.
const PARTS_FOLDER: &str = "leadscore-events";

/// At most this many part files are open while splitting; chunks share parts beyond it.
const MAX_PARTS: usize = 256;
/// Bytes of a part file read at a time.
const BLOCK: usize = 4 << 20;

/// The lead ids of each chunk of a lead file, as hashes.
#[derive(Default)]
pub struct ChunkIndex {
    hasher: std::collections::hash_map::RandomState,
    /// (hash of the id, chunk), sorted once every chunk is in.
    entries: Vec<(u64, u32)>,
    chunks: usize,
}

impl ChunkIndex {
    /// Adds the next chunk's lead ids.
    pub fn add_chunk(&mut self, ids: &[String]) {
        let chunk = self.chunks as u32;
        self.entries
            .extend(ids.iter().map(|id| (self.hasher.hash_one(id.trim()), chunk)));
        self.chunks += 1;
    }

    /// Number of chunks.
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    fn part_of(&self, chunk: usize) -> usize {
        part_of(chunk, self.chunks)
    }
}

/// Routes an event to the entries of the index with its lead id's hash, counting the events.
struct ToChunks<'a> {
    index: &'a ChunkIndex,
    read: usize,
    unmatched: usize,
}

impl Route for ToChunks<'_> {
    type To = std::ops::Range<usize>;
    fn route(&mut self, lead_id: Option<&str>, _time: i64) -> Option<Self::To> {
        self.read += 1;
        let found = lead_id.map(|id| {
            let hash = self.index.hasher.hash_one(id.trim());
            let entries = &self.index.entries;
            let from = entries.partition_point(|e| e.0 < hash);
            from..from + entries[from..].iter().take_while(|e| e.0 == hash).count()
        });
        match found {
            Some(range) if !range.is_empty() => Some(range),
            _ => {
                self.unmatched += 1;
                None
            }
        }
    }
}

/// An events file split by chunk of leads into a temporary folder (removed when dropped).
pub struct EventParts {
    /// The events file split.
    pub source: PathBuf,
    dir: tempfile::TempDir,
    chunks: usize,
    /// Event types of the events of known leads (lower case).
    pub event_types: BTreeSet<String>,
    /// Events in the file.
    pub read: usize,
    /// Events whose lead id is in no chunk.
    pub unmatched: usize,
}

impl EventParts {
    /// Streams `events` once and writes each event of a lead in `index` to its chunk's part.
    pub fn split(events: &Path, missing: &MissingTokens, mut index: ChunkIndex) -> Result<EventParts> {
        index.entries.sort_unstable();
        // Named after this process, so that a run killed before it could clean up is recognised
        // (and its folder removed) by the next.
        crate::output::remove_stale(&std::env::temp_dir(), PARTS_FOLDER);
        let dir = tempfile::Builder::new()
            .prefix(&crate::output::temp_prefix(PARTS_FOLDER))
            .suffix(".tmp")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in this folder", e))?;
        let parts = index.part_of(index.chunks.saturating_sub(1)) + 1;
        let mut files = (0..parts)
            .map(|part| {
                let path = part_path(dir.path(), part);
                File::create(&path)
                    .map(|f| BufWriter::with_capacity(1 << 16, f))
                    .map_err(|e| Error::io(&path, "create", e))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut route = ToChunks {
            index: &index,
            read: 0,
            unmatched: 0,
        };
        let mut event_types = BTreeSet::new();
        let mut record = Vec::new();
        let mut failed: Option<std::io::Error> = None;
        let mut write = |entries: std::ops::Range<usize>, lead_id: &str, event: &EventRecord| {
            if !event_types.contains(event.event_type) {
                event_types.insert(event.event_type.to_lowercase());
            }
            record.clear();
            encode(&mut record, lead_id, event);
            let mut last = None;
            for &(_, chunk) in &index.entries[entries] {
                // Entries of one hash are sorted by chunk, so a part's entries are together.
                let part = index.part_of(chunk as usize);
                if last != Some(part) {
                    last = Some(part);
                    if let Err(e) = files[part].write_all(&record) {
                        failed.get_or_insert(e);
                    }
                }
            }
        };
        if crate::data::read::is_parquet(events) {
            let log = EventLog::load(events, missing)?;
            for row in 0..log.len() {
                let lead_id = log.lead_id(row);
                if let Some(entries) = route.route(lead_id, log.time(row)) {
                    write(entries, lead_id.unwrap_or_default().trim(), &log.record(row));
                }
            }
        } else {
            stream_csv(events, missing, &mut route, |entries, lead_id, event| {
                write(entries, lead_id, event)
            })?;
        }
        let (read, unmatched) = (route.read, route.unmatched);
        let failed = failed.take();
        let finished = match failed {
            Some(e) => Err(e),
            None => files.iter_mut().try_for_each(|f| f.flush()),
        };
        finished.map_err(|e| Error::io(dir.path(), "write the events split by batch into", e))?;
        Ok(EventParts {
            source: events.to_path_buf(),
            dir,
            chunks: index.chunks,
            event_types,
            read,
            unmatched,
        })
    }

    /// Calls `visit(lead, event)` for the events of chunk `chunk` that `leads` locates; the
    /// part file is read a block at a time.
    pub(crate) fn replay(
        &self,
        chunk: usize,
        leads: &mut LeadIndex,
        mut visit: impl FnMut(usize, &EventRecord),
    ) -> Result<()> {
        let path = self.part_path(chunk);
        let unreadable = |e: std::io::Error| Error::io(&path, "read", e);
        let mut file = File::open(&path).map_err(unreadable)?;
        let mut block: Vec<u8> = Vec::with_capacity(BLOCK);
        let mut at = 0;
        loop {
            // Whole records from `at`; the partial one at the end moves to the front.
            while let Some(n) = record_length(&block, at).filter(|&n| block.len() >= at + n) {
                let (lead_id, event) = decode(&block[at + 4..at + n]);
                if let Some(lead) = leads.locate(Some(lead_id), event.time) {
                    visit(lead, &event);
                }
                at += n;
            }
            block.drain(..at);
            at = 0;
            let want = record_length(&block, 0).unwrap_or(4).max(BLOCK);
            let read = (&mut file)
                .take((want - block.len()) as u64)
                .read_to_end(&mut block)
                .map_err(unreadable)?;
            if read == 0 {
                return Ok(());
            }
        }
    }

    fn part_path(&self, chunk: usize) -> PathBuf {
        part_path(self.dir.path(), part_of(chunk, self.chunks))
    }
}

fn part_path(dir: &Path, part: usize) -> PathBuf {
    dir.join(format!("part-{part}.bin"))
}

/// The part file of `chunk` of `chunks`.
fn part_of(chunk: usize, chunks: usize) -> usize {
    chunk / chunks.div_ceil(MAX_PARTS).max(1)
}

/// Appends an event with its lead id: the record's length as u32, then each text's length as u32
/// (`u32::MAX` when absent) and bytes, the time as i64, the privacy-proxy flag as one byte.
fn encode(out: &mut Vec<u8>, lead_id: &str, event: &EventRecord) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut text = |field: Option<&str>| match field {
        Some(text) => {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    };
    text(Some(lead_id));
    text(Some(event.event_type));
    text(event.url);
    text(event.form);
    text(event.email);
    text(event.asset);
    out.extend_from_slice(&event.time.to_le_bytes());
    out.push(u8::from(event.privacy_proxy));
    let length = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&length.to_le_bytes());
}

/// The length (with its own 4 bytes) of the record at `at`, once those 4 bytes are in `block`.
fn record_length(block: &[u8], at: usize) -> Option<usize> {
    let bytes = block.get(at..at + 4)?;
    Some(4 + u32::from_le_bytes(bytes.try_into().expect("four bytes")) as usize)
}

/// The event written by [`encode`], from the bytes after its length.
fn decode<'a>(bytes: &'a [u8]) -> (&'a str, EventRecord<'a>) {
    let mut at = 0;
    let mut take = |n: usize| {
        let slice = &bytes[at..at + n];
        at += n;
        slice
    };
    let mut text = || -> Option<&'a str> {
        let len = u32::from_le_bytes(take(4).try_into().expect("four bytes"));
        // Written from &str by `encode`, so the bytes are UTF-8.
        (len != u32::MAX).then(|| std::str::from_utf8(take(len as usize)).expect("UTF-8 written by encode"))
    };
    let lead_id = text().unwrap_or_default();
    let event_type = text().unwrap_or_default();
    let (url, form, email, asset) = (text(), text(), text(), text());
    let time = i64::from_le_bytes(take(8).try_into().expect("eight bytes"));
    let privacy_proxy = take(1)[0] == 1;
    (
        lead_id,
        EventRecord {
            time,
            event_type,
            url,
            form,
            email,
            asset,
            privacy_proxy,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_part_file_unchanged() {
        let events = [
            EventRecord {
                time: 1_700_000_000,
                event_type: "form_submit",
                url: Some("https://example.com/pricing?a=1,b"),
                form: Some("demo-request"),
                email: None,
                asset: None,
                privacy_proxy: false,
            },
            EventRecord {
                time: -5,
                event_type: "email_open",
                url: None,
                form: None,
                email: Some("nurture-3 — é"),
                asset: Some(""),
                privacy_proxy: true,
            },
        ];
        let mut bytes = Vec::new();
        encode(&mut bytes, "L-1", &events[0]);
        encode(&mut bytes, "", &events[1]);
        let first_length = 4 + u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        let (id, first) = decode(&bytes[4..first_length]);
        assert_eq!((id, format!("{first:?}")), ("L-1", format!("{:?}", events[0])));
        let (id, second) = decode(&bytes[first_length + 4..]);
        assert_eq!((id, format!("{second:?}")), ("", format!("{:?}", events[1])));
    }
}
