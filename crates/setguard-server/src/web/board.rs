//! The set board: every item of the production in large words that do not rely on colour
//! (IN STORAGE, WITH <person>, COLD - checked by <armorer> 14:02, lapses 14:17, HOT - 2 blanks,
//! QUARANTINED, UNATTENDED 6 min), the lots, the called scenes, open incidents, a stop-work.
//!
//! The same view feeds the HTML page and `GET /api/v1/productions/{id}/board`.

use serde::Serialize;
use setguard_core::rules::checks::current_inspection;
use setguard_core::state::{Custody, Inspection, Item, Lapse};
use setguard_core::{At, InspectState, State, Status};
use setguard_ledger::Head;

/// The board as it stands at `now`.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub production: String,
    pub name: String,
    pub timezone: String,
    /// The production's clock, `HH:MM`.
    pub now: String,
    pub events: u64,
    pub head: String,
    /// The stop-work banner, if work is stopped.
    pub stop_work: Option<String>,
    pub walkout: Option<String>,
    pub called: Vec<String>,
    pub items: Vec<ItemRow>,
    pub lots: Vec<LotRow>,
    pub incidents: Vec<String>,
}

/// One item's line on the board.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub id: String,
    pub label: String,
    /// The words in capitals: what a person across the room must read.
    pub status: String,
    /// The detail after it (who, since when, until when).
    pub detail: String,
    /// A class for the page's colour, which only repeats what the words say.
    pub tone: &'static str,
}

/// One lot's line.
#[derive(Debug, Clone, Serialize)]
pub struct LotRow {
    pub id: String,
    pub ammo: String,
    pub in_box: u32,
    pub out: i64,
    pub warning: Option<&'static str>,
}

/// Builds the board of `state` at `now`.
pub fn board(state: &State, head: Head, now: At) -> Board {
    let (production, name, timezone) = state
        .production
        .as_ref()
        .map(|p| (p.id.to_string(), p.name.clone(), p.timezone.clone()))
        .unwrap_or_default();
    Board {
        production,
        name,
        timezone,
        now: now.clock(),
        events: head.seq,
        head: head.hash.to_hex(),
        stop_work: state
            .stop_work
            .as_ref()
            .map(|s| format!("STOP WORK since {}: {}", s.since.clock(), s.reason)),
        walkout: state
            .walkout
            .as_ref()
            .map(|s| format!("WALKOUT since {}: {}", s.since.clock(), s.reason)),
        called: state.called.iter().map(|s| s.to_string()).collect(),
        items: state
            .items
            .values()
            .map(|i| item_row(state, i, now))
            .collect(),
        lots: state
            .lots
            .values()
            .map(|l| LotRow {
                id: l.spec.id.to_string(),
                ammo: format!("{} {}", l.spec.ammo, l.spec.calibre),
                in_box: l.in_stock(),
                out: l.outstanding(),
                warning: if l.condemned {
                    Some("CONDEMNED")
                } else if !l.quarantined_by.is_empty() {
                    Some("QUARANTINED")
                } else if !l.verified {
                    Some("NOT VERIFIED")
                } else {
                    None
                },
            })
            .collect(),
        incidents: state
            .open_incidents()
            .map(|i| {
                format!(
                    "{} {} - open {} - {}",
                    i.id,
                    i.kind,
                    age(now, i.reported_at),
                    i.summary
                )
            })
            .collect(),
    }
}

/// One item's row, found by its id as typed or scanned; `None` if the production has no such item.
pub fn find_item(state: &State, raw_id: &str, now: At) -> Option<ItemRow> {
    let id = setguard_core::ItemId::parse(raw_id).ok()?;
    state.items.get(&id).map(|i| item_row(state, i, now))
}

fn item_row(state: &State, item: &Item, now: At) -> ItemRow {
    let (status, detail, tone) = if !item.quarantined_by.is_empty() {
        let by: Vec<String> = item.quarantined_by.iter().map(|i| i.to_string()).collect();
        (
            "QUARANTINED".to_owned(),
            format!("{}; {}", by.join(", "), place(state, item, now)),
            "danger",
        )
    } else {
        match &item.custody {
            Custody::InStorage => ("IN STORAGE".to_owned(), String::new(), "calm"),
            Custody::SetDown { .. } => {
                let minutes = match &item.custody {
                    Custody::SetDown { since, .. } => now.minutes_since(*since),
                    _ => 0,
                };
                (
                    format!("UNATTENDED {minutes} min"),
                    place(state, item, now),
                    "danger",
                )
            }
            Custody::Held { .. } if item.loaded_rounds() > 0 && hot(item) => (
                format!("HOT - {} {}", item.loaded_rounds(), loaded_kind(item)),
                place(state, item, now),
                "hot",
            ),
            Custody::Held { by, .. } => match cold_check(state, item, now) {
                Some(insp) => (
                    "COLD".to_owned(),
                    format!(
                        "checked by {} {}, lapses {}; {}",
                        state.name_of(&insp.by),
                        insp.at.clock(),
                        insp.at
                            .plus_minutes(state.policy.check_valid_minutes)
                            .clock(),
                        place(state, item, now)
                    ),
                    "cold",
                ),
                None => (
                    format!("WITH {}", state.name_of(by).to_uppercase()),
                    format!("not checked; {}", place(state, item, now)),
                    if state.is_handler(by) { "calm" } else { "warn" },
                ),
            },
        }
    };
    ItemRow {
        id: item.spec.id.to_string(),
        label: item.label(),
        status,
        detail,
        tone,
    }
}

/// The check that makes the item cold in its holder's hands, if any: a current inspection
/// (empty or verified dummies), or the one its holder watched and confirmed just before it was
/// handed to them (a hand-over ends a check for the next hand-over, not for the person who
/// watched it), and not older than the policy allows.
fn cold_check<'a>(state: &State, item: &'a Item, now: At) -> Option<&'a Inspection> {
    let insp = match current_inspection(state, item, now) {
        Ok(insp) => insp,
        Err(_) => {
            let insp = item.inspection.as_ref()?;
            let Custody::Held { by, since } = &item.custody else {
                return None;
            };
            let handed_to_watcher = matches!(insp.voided, Some(Lapse::LeftHands { at }) if at == *since)
                && insp.confirmed_by.contains(by);
            let fresh = now <= insp.at.plus_minutes(state.policy.check_valid_minutes);
            if !(handed_to_watcher && fresh) {
                return None;
            }
            insp
        }
    };
    (insp.state != InspectState::Blanks).then_some(insp)
}

/// Loaded with blanks, or last called hot.
fn hot(item: &Item) -> bool {
    item.announced
        .as_ref()
        .is_some_and(|(s, _)| *s == Status::Hot)
        || item
            .inspection
            .as_ref()
            .is_some_and(|i| i.state == InspectState::Blanks && i.voided.is_none())
}

fn loaded_kind(item: &Item) -> &'static str {
    match item.inspection.as_ref().map(|i| i.state) {
        Some(InspectState::Blanks) => "blanks",
        Some(InspectState::Dummies) => "dummies",
        _ => "rounds",
    }
}

/// Where the item is, in words: with whom or where, since when.
fn place(state: &State, item: &Item, now: At) -> String {
    match &item.custody {
        Custody::InStorage => "in storage".to_owned(),
        Custody::Held { by, since } => format!(
            "WITH {} since {} ({})",
            state.name_of(by),
            since.clock(),
            age(now, *since)
        ),
        Custody::SetDown { by, place, since } => format!(
            "set down at {place} by {} at {}",
            state.name_of(by),
            since.clock()
        ),
    }
}

fn age(now: At, since: At) -> String {
    let m = now.minutes_since(since).max(0);
    if m < 60 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{} days", m / (24 * 60))
    }
}
