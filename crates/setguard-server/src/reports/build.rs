//! Building each report from a production's state and records: pure functions, no I/O.

use super::{Report, Section, Stamp};
use chrono::NaiveDate;
use setguard_core::{
    Event, EventBody, IncidentId, ItemId, LotId, PersonId, RULES, RuleId, State, Subject,
};
use setguard_ledger::Record;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Daily,
    Meeting,
    Incident,
    People,
    Compliance,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Daily,
        Kind::Meeting,
        Kind::Incident,
        Kind::People,
        Kind::Compliance,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Meeting => "meeting",
            Kind::Incident => "incident",
            Kind::People => "people",
            Kind::Compliance => "compliance",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a report is asked for beyond its kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The day (daily, meeting) or the "as of" day (people); default: the day of the last event
    /// (callers give a people report today's date on the production's clock).
    pub date: Option<NaiveDate>,
    /// The incident (incident report); default: the last one reported.
    pub incident: Option<u32>,
}

/// Builds the report `kind` from `state` and `records` (the production's events up to and
/// including the stamp's seq, in order).
pub fn build(
    kind: Kind,
    state: &State,
    records: &[Record],
    stamp: Stamp,
    opts: Options,
) -> Result<Report, String> {
    let last_day = state.last_at.map(|a| a.date()).unwrap_or(NaiveDate::MIN);
    let day = opts.date.unwrap_or(last_day);
    let production = match &state.production {
        Some(p) => format!("{} ({}, {})", p.name, p.id, p.timezone),
        None => stamp.stream.clone(),
    };
    let mut lines = vec![format!("Production: {production}")];
    let (title, sections) = match kind {
        Kind::Daily => {
            lines.push(format!("Shooting day: {day}"));
            ("Daily firearms log".to_owned(), daily(state, records, day))
        }
        Kind::Meeting => {
            lines.push(format!("Day: {day}"));
            (
                "Safety meeting sign-in sheet".to_owned(),
                meeting(state, records, day),
            )
        }
        Kind::Incident => {
            let id = match opts.incident {
                Some(n) => IncidentId(n),
                None => *state
                    .incidents
                    .keys()
                    .next_back()
                    .ok_or("the production has no incident to report")?,
            };
            if !state.incidents.contains_key(&id) {
                return Err(format!("the production has no {id}"));
            }
            (
                format!("Incident report: {id}"),
                incident(state, records, id),
            )
        }
        Kind::People => {
            lines.push(format!("As of: {day}"));
            ("Credentials and training".to_owned(), people(state, day))
        }
        Kind::Compliance => ("Compliance summary".to_owned(), compliance(state, records)),
    };
    lines.push(format!(
        "Made from the ledger record up to seq {} ({} events), checkpoint signed by the node \
         key below",
        stamp.seq, stamp.seq
    ));
    Ok(Report {
        title,
        lines,
        sections,
        stamp,
    })
}

fn item_name(s: &State, id: &ItemId) -> String {
    s.items
        .get(id)
        .map(|i| format!("{} ({id})", i.label()))
        .unwrap_or_else(|| id.to_string())
}

fn who(s: &State, e: &Event) -> String {
    e.by.as_ref().map(|p| s.name_of(p)).unwrap_or_default()
}

fn names(s: &State, ids: &[PersonId]) -> String {
    ids.iter()
        .map(|p| s.name_of(p))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lot_rounds(rounds: &[setguard_core::LotRounds]) -> String {
    if rounds.is_empty() {
        return "no rounds from a lot".to_owned();
    }
    rounds
        .iter()
        .map(|r| format!("{} from {}", r.rounds.0, r.lot))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a custody or check event did to its item, in words; None for other events.
fn custody_line(s: &State, e: &Event) -> Option<(ItemId, String)> {
    use EventBody::*;
    Some(match &e.body {
        CheckedOut { item } => (item.clone(), "checked out of storage".to_owned()),
        Stored { item } => (item.clone(), "returned to storage".to_owned()),
        Loaded {
            item, lot, rounds, ..
        } => (
            item.clone(),
            format!("loaded {} rounds from lot {lot}", rounds.0),
        ),
        Unloaded { item, returned } => {
            (item.clone(), format!("unloaded ({})", lot_rounds(returned)))
        }
        Inspected {
            item,
            state,
            rounds,
            lot,
        } => {
            let lot = lot
                .as_ref()
                .map(|l| format!(", lot {l}"))
                .unwrap_or_default();
            (
                item.clone(),
                format!("inspected: {state}, {} rounds{lot}", rounds.0),
            )
        }
        CheckConfirmed { item } => (item.clone(), "check watched and confirmed".to_owned()),
        SecondChecked { item } => (item.clone(), "second check".to_owned()),
        HandedOver { item, to, scene } => {
            let scene = scene
                .as_ref()
                .map(|c| format!(" for {c}"))
                .unwrap_or_default();
            (item.clone(), format!("handed to {}{scene}", s.name_of(to)))
        }
        SetDown { item, place } => (item.clone(), format!("set down at {place}")),
        PickedUp { item } => (item.clone(), "picked up".to_owned()),
        Discharged {
            item,
            intended,
            rounds,
            fired,
        } => (
            item.clone(),
            format!(
                "{} discharge, {} rounds ({})",
                if *intended { "intended" } else { "UNINTENDED" },
                rounds.0,
                lot_rounds(fired)
            ),
        ),
        _ => return None,
    })
}

fn on_day(records: &[Record], day: NaiveDate) -> impl Iterator<Item = &Record> {
    records.iter().filter(move |r| r.event.at.date() == day)
}

fn refusal_rules(v: &[setguard_core::Violation]) -> String {
    v.iter()
        .map(|v| format!("{}: {}", v.rule, v.message))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn daily(s: &State, records: &[Record], day: NaiveDate) -> Vec<Section> {
    let mut custody = Vec::new();
    let mut per_lot: BTreeMap<LotId, [u32; 3]> = BTreeMap::new();
    let mut meetings = Vec::new();
    let mut announcements = Vec::new();
    let mut refusals = Vec::new();
    let mut alarms = Vec::new();
    let mut incidents = Vec::new();
    for r in on_day(records, day) {
        let e = &r.event;
        let at = e.at.clock();
        if let Some((item, what)) = custody_line(s, e) {
            custody.push(vec![
                at.clone(),
                r.seq.to_string(),
                item_name(s, &item),
                what,
                who(s, e),
            ]);
        }
        match &e.body {
            EventBody::Loaded { lot, rounds, .. } => {
                per_lot.entry(lot.clone()).or_default()[0] += rounds.0;
            }
            EventBody::Discharged { fired, .. } => {
                for f in fired {
                    per_lot.entry(f.lot.clone()).or_default()[1] += f.rounds.0;
                }
            }
            EventBody::Unloaded { returned, .. } => {
                for f in returned {
                    per_lot.entry(f.lot.clone()).or_default()[2] += f.rounds.0;
                }
            }
            EventBody::SafetyMeetingHeld { scenes, attendees } => meetings.push(vec![
                at,
                scenes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                who(s, e),
                format!("{}: {}", attendees.len(), names(s, attendees)),
            ]),
            EventBody::Briefed { person, scene } => meetings.push(vec![
                at,
                scene.to_string(),
                who(s, e),
                format!("briefing: {}", s.name_of(person)),
            ]),
            EventBody::Announced { item, status } => announcements.push(vec![
                at,
                item_name(s, item),
                status.to_string().to_uppercase(),
                who(s, e),
            ]),
            EventBody::Refused {
                attempted,
                violations,
            } => refusals.push(vec![
                at,
                who(s, e),
                attempted.name().to_owned(),
                refusal_rules(violations),
            ]),
            EventBody::AlarmRaised { rule, message, .. } => {
                alarms.push(vec![at, rule.to_string(), message.clone()]);
            }
            EventBody::IncidentReported {
                incident,
                kind,
                summary,
                ..
            } => incidents.push(vec![
                at,
                incident.to_string(),
                format!("reported ({kind}): {summary}"),
                who(s, e),
            ]),
            EventBody::IncidentClosed {
                incident,
                root_cause,
                ..
            } => incidents.push(vec![
                at,
                incident.to_string(),
                format!("closed; root cause: {root_cause}"),
                who(s, e),
            ]),
            EventBody::ConcernRaised {
                concern,
                text,
                anonymous,
                ..
            } => incidents.push(vec![
                at,
                concern.to_string(),
                format!(
                    "raised{}: {text}",
                    if *anonymous { " anonymously" } else { "" }
                ),
                who(s, e),
            ]),
            EventBody::WorkStopped { reason } => {
                incidents.push(vec![at, "stop work".to_owned(), reason.clone(), who(s, e)])
            }
            EventBody::WorkResumed { reason } => incidents.push(vec![
                at,
                "work resumed".to_owned(),
                reason.clone(),
                who(s, e),
            ]),
            EventBody::WalkedOut { people, reason } => incidents.push(vec![
                at,
                "walkout".to_owned(),
                format!("{}: {reason}", names(s, people)),
                who(s, e),
            ]),
            _ => {}
        }
    }
    let mut sec = Section::new("Custody and checks, in time order");
    sec.table(
        &[
            ("time", 1.0),
            ("seq", 0.6),
            ("item", 2.4),
            ("what", 4.0),
            ("by", 1.8),
        ],
        custody,
        "No item moved or was checked this day.",
    );
    let mut lots = Section::new("Rounds by lot");
    let lot_rows = per_lot
        .into_iter()
        .map(|(lot, [issued, fired, returned])| {
            let now = s
                .lots
                .get(&lot)
                .map(|l| format!("{} in the box, {} out", l.in_stock(), l.outstanding()))
                .unwrap_or_default();
            vec![
                lot.to_string(),
                issued.to_string(),
                fired.to_string(),
                returned.to_string(),
                now,
            ]
        })
        .collect();
    lots.table(
        &[
            ("lot", 2.0),
            ("issued", 1.0),
            ("fired", 1.0),
            ("returned", 1.0),
            ("at the end of the record", 3.0),
        ],
        lot_rows,
        "No rounds were issued, fired or returned this day.",
    );
    let mut meet = Section::new("Safety meetings and briefings");
    meet.table(
        &[
            ("time", 1.0),
            ("scenes", 1.6),
            ("held by", 1.6),
            ("attendance", 5.0),
        ],
        meetings,
        "No safety meeting or briefing was recorded this day.",
    );
    let mut ann = Section::new("Announcements");
    ann.table(
        &[("time", 1.0), ("item", 3.0), ("status", 1.5), ("by", 2.0)],
        announcements,
        "No announcement was recorded this day.",
    );
    let mut refs = Section::new("Refusals");
    refs.table(
        &[
            ("time", 1.0),
            ("by", 1.6),
            ("attempted", 1.6),
            ("rules broken", 5.0),
        ],
        refusals,
        "Nothing was refused this day.",
    );
    let mut alm = Section::new("Alarms");
    alm.table(
        &[("time", 1.0), ("rule", 2.0), ("alarm", 6.0)],
        alarms,
        "No alarm was raised this day.",
    );
    let mut inc = Section::new("Incidents, concerns and stoppages");
    inc.table(
        &[("time", 1.0), ("what", 1.6), ("details", 5.0), ("by", 1.6)],
        incidents,
        "No incident, concern or stoppage this day.",
    );
    vec![sec, lots, meet, ann, refs, alm, inc]
}

fn roles_of(s: &State, p: &PersonId) -> String {
    s.person(p)
        .map(|p| {
            p.roles
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn meeting(s: &State, records: &[Record], day: NaiveDate) -> Vec<Section> {
    let mut out = Vec::new();
    let mut briefed = Vec::new();
    for r in on_day(records, day) {
        let e = &r.event;
        match &e.body {
            EventBody::SafetyMeetingHeld { scenes, attendees } => {
                let scenes: Vec<String> = scenes
                    .iter()
                    .map(|c| match s.scenes.get(c) {
                        Some(sc) => {
                            let items: Vec<String> =
                                sc.spec.items.iter().map(|i| item_name(s, i)).collect();
                            format!("{c} ({})", items.join(", "))
                        }
                        None => c.to_string(),
                    })
                    .collect();
                let mut sec = Section::new(format!(
                    "Meeting at {} (record seq {}), held by {}",
                    e.at.clock(),
                    r.seq,
                    who(s, e)
                ));
                sec.line(format!("Scenes covered: {}", scenes.join("; ")));
                let rows = attendees
                    .iter()
                    .enumerate()
                    .map(|(n, p)| {
                        vec![
                            (n + 1).to_string(),
                            s.name_of(p),
                            roles_of(s, p),
                            "present (recorded)".to_owned(),
                            String::new(),
                        ]
                    })
                    .collect();
                sec.table(
                    &[
                        ("#", 0.5),
                        ("name", 2.5),
                        ("roles", 2.5),
                        ("attendance", 1.8),
                        ("signature", 2.5),
                    ],
                    rows,
                    "No one was recorded as present.",
                );
                out.push(sec);
            }
            EventBody::Briefed { person, scene } => briefed.push(vec![
                e.at.clock(),
                s.name_of(person),
                roles_of(s, person),
                scene.to_string(),
                who(s, e),
            ]),
            _ => {}
        }
    }
    if out.is_empty() {
        let mut sec = Section::new("Meetings");
        sec.line("No safety meeting was recorded this day.");
        out.push(sec);
    }
    let mut b = Section::new("Briefed separately (late arrivals)");
    b.table(
        &[
            ("time", 1.0),
            ("name", 2.2),
            ("roles", 2.2),
            ("scene", 1.4),
            ("briefed by", 2.0),
        ],
        briefed,
        "No one was briefed separately.",
    );
    out.push(b);
    out
}

fn incident(s: &State, records: &[Record], id: IncidentId) -> Vec<Section> {
    let Some(inc) = s.incidents.get(&id) else {
        return Vec::new();
    };
    let mut summary = Section::new("Summary");
    summary.line(format!("Kind: {}", inc.kind));
    summary.line(format!(
        "Reported {} by {}: {}",
        inc.reported_at,
        inc.reported_by
            .as_ref()
            .map(|p| s.name_of(p))
            .unwrap_or_else(|| "the system".to_owned()),
        inc.summary
    ));
    summary.line(match inc.closed {
        Some(at) => format!("Closed {at}"),
        None => "STILL OPEN".to_owned(),
    });
    let mut timeline = Vec::new();
    let mut escalations = Vec::new();
    let mut closing = None;
    let touches = |e: &Event| -> bool {
        use EventBody::*;
        match &e.body {
            IncidentReported { incident, .. } | IncidentClosed { incident, .. } => *incident == id,
            AlarmRaised { about, .. } => match about {
                Subject::Incident(i) => *i == id,
                Subject::Item(i) => inc.items.contains(i),
                Subject::Lot(l) => inc.lots.contains(l),
                _ => false,
            },
            Loaded { lot, item, .. } => inc.items.contains(item) || inc.lots.contains(lot),
            LotVerified { lot, .. } => inc.lots.contains(lot),
            _ => custody_line(s, e).is_some_and(|(i, _)| inc.items.contains(&i)),
        }
    };
    // The day of the incident up to its close (or the end of the record).
    let from = setguard_core::At::start_of(inc.reported_at.date());
    for r in records {
        let e = &r.event;
        if e.at < from || inc.closed.is_some_and(|c| e.at > c) || !touches(e) {
            continue;
        }
        let what = match &e.body {
            EventBody::IncidentReported { summary, .. } => format!("reported: {summary}"),
            EventBody::IncidentClosed {
                root_cause,
                corrective_action,
                ..
            } => {
                closing = Some((root_cause.clone(), corrective_action.clone(), who(s, e)));
                "closed".to_owned()
            }
            EventBody::AlarmRaised { rule, message, .. } => {
                escalations.push(vec![e.at.to_string(), rule.to_string(), message.clone()]);
                format!("ALARM {rule}: {message}")
            }
            EventBody::LotVerified {
                lot,
                counted,
                failed,
            } => format!(
                "lot {lot} verified: {} counted, {} failed",
                counted.0, failed.0
            ),
            _ => custody_line(s, e)
                .map(|(i, w)| format!("{}: {w}", item_name(s, &i)))
                .unwrap_or_default(),
        };
        timeline.push(vec![e.at.to_string(), r.seq.to_string(), what, who(s, e)]);
    }
    let mut people = Section::new("People");
    let rows = inc
        .involved
        .iter()
        .map(|p| {
            let part = if inc.reported_by.as_ref() == Some(p) {
                "reported it"
            } else {
                "involved (held an item)"
            };
            vec![s.name_of(p), roles_of(s, p), part.to_owned()]
        })
        .collect();
    people.table(
        &[("name", 2.0), ("roles", 2.5), ("part", 2.5)],
        rows,
        "No person is named in the incident.",
    );
    let mut things = Section::new("Items and lots");
    let mut rows: Vec<Vec<String>> = inc
        .items
        .iter()
        .map(|i| {
            let q = s
                .items
                .get(i)
                .map(|it| {
                    if it.quarantined_by.contains(&id) {
                        "quarantined"
                    } else {
                        "not quarantined"
                    }
                })
                .unwrap_or("");
            vec!["item".to_owned(), item_name(s, i), q.to_owned()]
        })
        .collect();
    rows.extend(inc.lots.iter().map(|l| {
        let d = s
            .lots
            .get(l)
            .map(|lot| {
                format!(
                    "{} {}, {} in the box{}{}",
                    lot.spec.ammo,
                    lot.spec.calibre,
                    lot.in_stock(),
                    if lot.quarantined_by.contains(&id) {
                        ", quarantined"
                    } else {
                        ""
                    },
                    if lot.condemned { ", CONDEMNED" } else { "" }
                )
            })
            .unwrap_or_default();
        vec!["lot".to_owned(), l.to_string(), d]
    }));
    things.table(
        &[("", 0.6), ("id", 3.0), ("state", 3.0)],
        rows,
        "No item or lot is named in the incident.",
    );
    let mut tl = Section::new("Timeline");
    tl.table(
        &[("when", 1.8), ("seq", 0.6), ("what", 5.0), ("by", 1.6)],
        timeline,
        "Nothing recorded.",
    );
    let mut close = Section::new("Root cause and corrective action");
    match closing {
        Some((cause, action, by)) => {
            close.line(format!("Root cause: {cause}"));
            close.line(format!("Corrective action: {action}"));
            close.line(format!("Closed by: {by}"));
        }
        None => close.line("Not closed yet: no root cause or corrective action recorded."),
    }
    let mut esc = Section::new("Escalations");
    esc.table(
        &[("when", 1.8), ("rule", 2.0), ("alarm", 5.0)],
        escalations,
        "No escalation was raised.",
    );
    vec![summary, people, things, tl, close, esc]
}

fn people(s: &State, day: NaiveDate) -> Vec<Section> {
    let soon = day + chrono::Days::new(30);
    let mut creds = Vec::new();
    let mut expiring = Vec::new();
    for p in s.people.values() {
        let roles = roles_of(s, &p.id);
        if p.credentials.is_empty() {
            creds.push(vec![
                p.name.to_string(),
                roles.clone(),
                "none".to_owned(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for c in &p.credentials {
            let classes = if c.classes.is_empty() {
                "all classes".to_owned()
            } else {
                c.classes
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let state = if c.expires < day {
                "EXPIRED".to_owned()
            } else if c.expires <= soon {
                let left = (c.expires - day).num_days();
                expiring.push(vec![
                    p.name.to_string(),
                    c.kind.to_string(),
                    c.expires.to_string(),
                    format!("{left} days"),
                ]);
                format!("expires in {left} days")
            } else {
                "current".to_owned()
            };
            creds.push(vec![
                p.name.to_string(),
                roles.clone(),
                c.kind.to_string(),
                classes,
                c.expires.to_string(),
                state,
            ]);
        }
    }
    let mut exp = Section::new("Expiring in the next 30 days");
    exp.table(
        &[
            ("name", 2.0),
            ("credential", 2.0),
            ("expires", 1.5),
            ("left", 1.0),
        ],
        expiring,
        "Nothing expires in the next 30 days.",
    );
    let mut all = Section::new("Credentials");
    all.table(
        &[
            ("name", 2.0),
            ("roles", 2.4),
            ("credential", 1.4),
            ("classes", 1.8),
            ("expires", 1.3),
            ("state", 1.6),
        ],
        creds,
        "No one is on the crew list.",
    );
    let mut tr = Section::new("Training");
    let rows = s
        .trainings
        .iter()
        .map(|(id, t)| {
            let state = match (&t.recorded, &t.cancelled) {
                (Some(at), _) => format!("done {at}"),
                (None, Some(why)) => format!("cancelled: {why}"),
                (None, None) => "planned".to_owned(),
            };
            vec![
                id.to_string(),
                s.name_of(&t.performer),
                t.class.to_string(),
                t.planned_by
                    .as_ref()
                    .map(|p| s.name_of(p))
                    .unwrap_or_default(),
                state,
            ]
        })
        .collect();
    tr.table(
        &[
            ("training", 1.4),
            ("performer", 2.0),
            ("class", 1.4),
            ("planned by", 2.0),
            ("state", 2.6),
        ],
        rows,
        "No training is planned or recorded.",
    );
    vec![exp, all, tr]
}

fn compliance(s: &State, records: &[Record]) -> Vec<Section> {
    let mut alarms: BTreeMap<RuleId, u64> = BTreeMap::new();
    for r in records {
        if let Some(rule) = r.event.alarm() {
            *alarms.entry(rule).or_default() += 1;
        }
    }
    let mut totals = Section::new("The production");
    let refused: u64 = s.refusals.values().sum();
    let alarmed: u64 = alarms.values().sum();
    totals.line(format!(
        "{} events recorded; {refused} attempts refused; {alarmed} alarms raised.",
        records.len()
    ));
    let open = s.open_incidents().count();
    totals.line(format!(
        "{} incidents ({open} open); {} concerns ({} unanswered).",
        s.incidents.len(),
        s.concerns.len(),
        s.concerns.values().filter(|c| c.answered.is_none()).count()
    ));
    let mut stops = String::new();
    if let Some(w) = &s.stop_work {
        let _ = write!(stops, "STOP WORK since {}: {}. ", w.since, w.reason);
    }
    if let Some(w) = &s.walkout {
        let _ = write!(stops, "WALKOUT since {}: {}.", w.since, w.reason);
    }
    if !stops.is_empty() {
        totals.line(stops);
    }
    let mut hit = Section::new("Rules that refused or raised alarms");
    let mut quiet = Vec::new();
    let mut rows = Vec::new();
    for rule in RULES.iter() {
        let r = s.refusals.get(&rule.id).copied().unwrap_or(0);
        let a = alarms.get(&rule.id).copied().unwrap_or(0);
        if r == 0 && a == 0 {
            quiet.push(rule.id.to_string());
            continue;
        }
        rows.push(vec![
            rule.id.to_string(),
            rule.group.to_owned(),
            r.to_string(),
            a.to_string(),
            rule.sentence.to_owned(),
        ]);
    }
    hit.table(
        &[
            ("rule", 2.0),
            ("group", 1.2),
            ("refused", 0.9),
            ("alarms", 0.9),
            ("the rule", 6.0),
        ],
        rows,
        "No rule refused anything or raised an alarm.",
    );
    let mut rest = Section::new("Rules that never had to act");
    rest.line(if quiet.is_empty() {
        "none".to_owned()
    } else {
        quiet.join(", ")
    });
    vec![totals, hit, rest]
}
