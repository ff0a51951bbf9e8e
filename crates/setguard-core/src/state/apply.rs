//! `apply`: the only way state changes. It trusts the event (decide already checked it) and never
//! refuses: the record is the truth, and a replay of it must always rebuild the same state.

use super::*;
use crate::event::{Event, EventBody, LotRounds};
use crate::rules::RuleId;

impl State {
    /// Applies one recorded event.
    pub fn apply(&mut self, ev: &Event) {
        self.events += 1;
        self.last_at = Some(ev.at);
        let at = ev.at;
        let by = ev.by.clone();
        let day = self.shooting_day(at);
        match &ev.body {
            EventBody::ProductionOpened {
                id,
                name,
                policy,
                timezone,
            } => {
                self.production = Some(Production {
                    id: id.clone(),
                    name: name.clone(),
                    timezone: timezone.clone(),
                });
                self.policy = Policy::named(*policy);
            }
            EventBody::PersonRegistered {
                id,
                name,
                prior_incidents,
            } => {
                self.people.insert(
                    id.clone(),
                    Person {
                        id: id.clone(),
                        name: name.clone(),
                        roles: BTreeSet::new(),
                        credentials: Vec::new(),
                        prior_incidents: prior_incidents.clone(),
                        red_flag_acknowledged: false,
                        duties: Vec::new(),
                    },
                );
            }
            EventBody::RoleAssigned { person, role } => {
                if let Some(p) = self.people.get_mut(person) {
                    let was_handler = p.is_handler();
                    p.roles.insert(*role);
                    if !was_handler && p.is_handler() {
                        self.handlers += 1;
                    }
                }
            }
            EventBody::CredentialGranted {
                person,
                kind,
                classes,
                expires,
            } => {
                if let Some(p) = self.people.get_mut(person) {
                    p.credentials.push(Credential {
                        kind: *kind,
                        classes: classes.clone(),
                        expires: *expires,
                    });
                }
            }
            EventBody::RedFlagAcknowledged { person, .. } => {
                if let Some(p) = self.people.get_mut(person) {
                    p.red_flag_acknowledged = true;
                }
            }
            EventBody::ComplianceContactNamed { person } => {
                self.compliance_contact = Some(person.clone());
            }
            EventBody::DutyAssigned { person, duty, date } => {
                if let Some(p) = self.people.get_mut(person) {
                    p.duties.push((*date, duty.clone()));
                }
            }
            EventBody::ItemRegistered(spec) => {
                self.items.insert(
                    spec.id.clone(),
                    Item {
                        spec: spec.clone(),
                        custody: Custody::InStorage,
                        loaded: Vec::new(),
                        load_changed: None,
                        inspection: None,
                        announced: None,
                        quarantined_by: BTreeSet::new(),
                    },
                );
            }
            EventBody::LotRegistered(spec) => {
                self.lots.insert(
                    spec.id.clone(),
                    Lot {
                        spec: spec.clone(),
                        verified: false,
                        condemned: false,
                        needs_reverify: false,
                        issued: 0,
                        returned: 0,
                        fired: 0,
                        removed: 0,
                        quarantined_by: BTreeSet::new(),
                    },
                );
            }
            EventBody::SceneScheduled(spec) => {
                self.scenes.insert(
                    spec.id.clone(),
                    Scene {
                        spec: spec.clone(),
                        version: 0,
                        line_of_fire: None,
                        rehearsal_signed_by: BTreeMap::new(),
                    },
                );
            }
            EventBody::SceneChanged { scene, changes } => {
                if let Some(s) = self.scenes.get_mut(scene) {
                    s.spec = changes.applied_to(&s.spec);
                    s.version += 1;
                }
            }
            EventBody::LotVerified { lot, failed, .. } => {
                if let Some(l) = self.lots.get_mut(lot) {
                    if failed.0 > 0 {
                        l.condemned = true;
                        l.verified = false;
                        l.removed += failed.0;
                    } else {
                        l.verified = true;
                        l.needs_reverify = false;
                    }
                }
            }
            EventBody::TrainingPlanned {
                training,
                performer,
                class,
            } => {
                self.trainings.insert(
                    *training,
                    Training {
                        performer: performer.clone(),
                        class: *class,
                        planned_by: by.clone(),
                        recorded: None,
                        cancelled: None,
                    },
                );
            }
            EventBody::TrainingCancelled { training, reason } => {
                if let Some(t) = self.trainings.get_mut(training) {
                    t.cancelled = Some(reason.clone());
                }
            }
            EventBody::TrainingRecorded {
                training,
                performer,
                class,
            } => {
                let t = self.trainings.entry(*training).or_insert_with(|| Training {
                    performer: performer.clone(),
                    class: *class,
                    planned_by: None,
                    recorded: None,
                    cancelled: None,
                });
                t.recorded = Some(at);
            }
            EventBody::ExceptionSigned {
                kind,
                scene,
                lot,
                reason,
                place,
                medic,
                signed_as,
            } => match kind {
                ExceptionKind::ReplicaRehearsal => {
                    if let Some(s) = scene.as_ref().and_then(|s| self.scenes.get_mut(s))
                        && let Some(by) = by.clone()
                    {
                        s.rehearsal_signed_by.insert(*signed_as, by);
                    }
                }
                ExceptionKind::LiveAmmo => {
                    if let Some(l) = lot {
                        self.live_exceptions.insert(
                            l.clone(),
                            LiveException {
                                reason: reason.clone(),
                                place: place.clone().unwrap_or_default(),
                                medic: medic.clone().unwrap_or_default(),
                            },
                        );
                    }
                }
            },
            EventBody::LineOfFirePlanned {
                scene,
                shields,
                remote_camera,
                min_distance_ft,
            } => {
                if let Some(s) = self.scenes.get_mut(scene) {
                    s.line_of_fire = Some(LineOfFire {
                        shields: *shields,
                        remote_camera: *remote_camera,
                        min_distance_ft: *min_distance_ft,
                    });
                }
            }
            EventBody::DayStarted => {
                self.day_started = Some(at);
            }
            EventBody::DayWrapped => {
                self.day_started = None;
                self.called.clear();
                self.on_break = None;
            }
            EventBody::SafetyMeetingHeld { scenes, attendees } => {
                for scene in scenes {
                    let version = self.scenes.get(scene).map_or(0, |s| s.version);
                    let c = self.meetings.entry((day, scene.clone())).or_default();
                    if c.version != version {
                        *c = Coverage::default();
                    }
                    if !c.held {
                        // A briefing counts only after the meeting it catches someone up on.
                        c.briefed.clear();
                    }
                    c.held = true;
                    c.version = version;
                    c.present.extend(attendees.iter().cloned());
                }
            }
            EventBody::Briefed { person, scene } => {
                let version = self.scenes.get(scene).map_or(0, |s| s.version);
                let c = self.meetings.entry((day, scene.clone())).or_default();
                if c.version != version {
                    *c = Coverage {
                        version,
                        ..Coverage::default()
                    };
                }
                c.briefed.insert(person.clone());
            }
            EventBody::SceneCalled { scene } => {
                self.called.insert(scene.clone());
            }
            EventBody::SceneCut { scene } => {
                self.called.remove(scene);
                // "Every item a performer holds", not only the scene's (PROTOCOLS.md).
                let items: Vec<ItemId> = self.items.keys().cloned().collect();
                for item in items {
                    self.start_return_clock(&item, at);
                }
            }
            EventBody::CheckedOut { item } => {
                if let Some(i) = self.items.get_mut(item) {
                    if i.custody == Custody::InStorage && i.is_firing() {
                        self.firing_out += 1;
                    }
                    if let Some(by) = by {
                        i.custody = Custody::Held { by, since: at };
                    }
                }
            }
            EventBody::Stored { item } => {
                if let Some(i) = self.items.get_mut(item) {
                    if i.custody != Custody::InStorage && i.is_firing() {
                        self.firing_out = self.firing_out.saturating_sub(1);
                    }
                    i.custody = Custody::InStorage;
                    void(i, Lapse::LeftHands { at });
                    self.inspected.remove(item);
                }
                self.clear_deadline(&Deadline::Unattended(item.clone()));
                self.clear_deadline(&Deadline::Return(item.clone()));
            }
            EventBody::Loaded {
                item, lot, rounds, ..
            } => {
                if let Some(i) = self.items.get_mut(item) {
                    match i.loaded.iter_mut().find(|(l, _)| l == lot) {
                        Some((_, r)) => r.0 += rounds.0,
                        None => i.loaded.push((lot.clone(), *rounds)),
                    }
                    i.load_changed = Some(at);
                    void(i, Lapse::Loaded { at });
                    self.inspected.remove(item);
                }
                if let Some(l) = self.lots.get_mut(lot) {
                    l.issued += rounds.0;
                }
            }
            EventBody::Unloaded { item, returned } => {
                if let Some(i) = self.items.get_mut(item) {
                    i.loaded.clear();
                    i.load_changed = Some(at);
                    void(i, Lapse::Unloaded { at });
                    self.inspected.remove(item);
                }
                for LotRounds { lot, rounds } in returned {
                    if let Some(l) = self.lots.get_mut(lot) {
                        l.returned += rounds.0;
                    }
                }
            }
            EventBody::Inspected {
                item,
                state,
                rounds,
                lot,
            } => {
                if let (Some(i), Some(by)) = (self.items.get_mut(item), by) {
                    i.inspection = Some(Inspection {
                        by,
                        at,
                        state: *state,
                        rounds: *rounds,
                        lot: lot.clone(),
                        confirmed_by: BTreeSet::new(),
                        second_checked_by: None,
                        voided: None,
                    });
                    self.inspected.insert(item.clone());
                }
            }
            EventBody::CheckConfirmed { item } => {
                if let (Some(insp), Some(by)) = (
                    self.items.get_mut(item).and_then(|i| i.inspection.as_mut()),
                    by,
                ) {
                    insp.confirmed_by.insert(by);
                }
            }
            EventBody::SecondChecked { item } => {
                if let Some(insp) = self.items.get_mut(item).and_then(|i| i.inspection.as_mut()) {
                    insp.second_checked_by = by;
                }
            }
            EventBody::HandedOver { item, to, scene } => {
                if let Some(i) = self.items.get_mut(item) {
                    i.custody = Custody::Held {
                        by: to.clone(),
                        since: at,
                    };
                    void(i, Lapse::LeftHands { at });
                    self.inspected.remove(item);
                }
                if self.is_handler(to) {
                    self.clear_deadline(&Deadline::Return(item.clone()));
                } else if let Some(scene) = scene {
                    self.handed_over
                        .insert((self.shooting_day(at), scene.clone()));
                }
            }
            EventBody::SetDown { item, place } => {
                if let (Some(i), Some(by)) = (self.items.get_mut(item), by) {
                    i.custody = Custody::SetDown {
                        by,
                        place: place.clone(),
                        since: at,
                    };
                    void(i, Lapse::LeftHands { at });
                    self.inspected.remove(item);
                }
                let due = at.plus_minutes(self.policy.unattended_minutes);
                self.set_deadline(Deadline::Unattended(item.clone()), due);
            }
            EventBody::PickedUp { item } => {
                if let (Some(i), Some(by)) = (self.items.get_mut(item), by.clone()) {
                    i.custody = Custody::Held { by, since: at };
                }
                self.clear_deadline(&Deadline::Unattended(item.clone()));
                if by.as_ref().is_some_and(|b| self.is_handler(b)) {
                    self.clear_deadline(&Deadline::Return(item.clone()));
                }
            }
            EventBody::Announced { item, status } => {
                if let Some(i) = self.items.get_mut(item) {
                    i.announced = Some((*status, at));
                }
            }
            EventBody::BreakCalled { kind } => {
                self.on_break = Some(Break {
                    kind: kind.clone(),
                    since: at,
                });
                let ids: Vec<ItemId> = self.items.keys().cloned().collect();
                for id in ids {
                    if let Some(i) = self.items.get_mut(&id) {
                        void(
                            i,
                            Lapse::Break {
                                kind: kind.clone(),
                                at,
                            },
                        );
                    }
                    self.start_return_clock(&id, at);
                }
                self.inspected.clear();
            }
            EventBody::Resumed => {
                self.on_break = None;
            }
            EventBody::Discharged { item, fired, .. } => {
                if let Some(i) = self.items.get_mut(item) {
                    for LotRounds { lot, rounds } in fired {
                        if let Some((_, r)) = i.loaded.iter_mut().find(|(l, _)| l == lot) {
                            r.0 = r.0.saturating_sub(rounds.0);
                        }
                    }
                    i.loaded.retain(|(_, r)| r.0 > 0);
                }
                for LotRounds { lot, rounds } in fired {
                    if let Some(l) = self.lots.get_mut(lot) {
                        l.fired += rounds.0;
                    }
                }
            }
            EventBody::IncidentReported {
                incident,
                kind,
                items,
                lots,
                summary,
            } => {
                let mut involved: BTreeSet<PersonId> = by.iter().cloned().collect();
                for item in items {
                    if let Some(i) = self.items.get(item) {
                        match &i.custody {
                            Custody::Held { by, .. } | Custody::SetDown { by, .. } => {
                                involved.insert(by.clone());
                            }
                            Custody::InStorage => {}
                        }
                    }
                }
                let quarantine = kind.quarantines() || *kind == IncidentKind::LiveRoundFound;
                if quarantine {
                    for item in items {
                        if let Some(i) = self.items.get_mut(item) {
                            i.quarantined_by.insert(*incident);
                        }
                    }
                    for lot in lots {
                        if let Some(l) = self.lots.get_mut(lot) {
                            l.quarantined_by.insert(*incident);
                        }
                    }
                }
                if *kind == IncidentKind::LiveRoundFound {
                    for l in self.lots.values_mut().filter(|l| !l.condemned) {
                        l.verified = false;
                        l.needs_reverify = true;
                    }
                }
                self.incidents.insert(
                    *incident,
                    Incident {
                        id: *incident,
                        kind: *kind,
                        items: items.clone(),
                        lots: lots.clone(),
                        summary: summary.clone(),
                        reported_at: at,
                        reported_by: by,
                        involved,
                        closed: None,
                    },
                );
                let due = at.plus_hours(self.policy.incident_escalation_hours);
                self.set_deadline(Deadline::IncidentOpen(*incident), due);
            }
            EventBody::IncidentClosed { incident, .. } => {
                if let Some(inc) = self.incidents.get_mut(incident) {
                    inc.closed = Some(at);
                }
                for i in self.items.values_mut() {
                    i.quarantined_by.remove(incident);
                }
                for l in self.lots.values_mut() {
                    l.quarantined_by.remove(incident);
                }
                self.clear_deadline(&Deadline::IncidentOpen(*incident));
            }
            EventBody::ConcernRaised {
                concern,
                text,
                urgent,
                anonymous,
            } => {
                self.concerns.insert(
                    *concern,
                    Concern {
                        id: *concern,
                        text: text.clone(),
                        urgent: *urgent,
                        anonymous: *anonymous,
                        raised_at: at,
                        answered: None,
                    },
                );
                let due = if *urgent {
                    at.plus_hours(self.policy.urgent_concern_hours)
                } else {
                    at.plus_hours(self.policy.concern_hours)
                };
                self.set_deadline(Deadline::ConcernDue(*concern), due);
            }
            EventBody::ConcernAnswered { concern, .. } => {
                if let Some(c) = self.concerns.get_mut(concern) {
                    c.answered = Some(at);
                }
                self.clear_deadline(&Deadline::ConcernDue(*concern));
            }
            // A correction is on record for whoever reads it; it changes nothing on set.
            EventBody::Corrected { .. } => {}
            EventBody::Resigned { reason } | EventBody::WalkedOut { reason, .. } => {
                self.walkout = Some(Stoppage {
                    reason: reason.clone(),
                    since: at,
                    by,
                });
            }
            EventBody::WorkStopped { reason } => {
                self.stop_work = Some(Stoppage {
                    reason: reason.clone(),
                    since: at,
                    by,
                });
            }
            EventBody::WorkResumed { .. } => {
                self.stop_work = None;
                self.walkout = None;
            }
            EventBody::AlarmRaised { rule, about, .. } => {
                let deadline = match (rule, about) {
                    (RuleId::NeverUnattended, Subject::Item(i)) => {
                        Some(Deadline::Unattended(i.clone()))
                    }
                    (RuleId::ReturnAfterCut, Subject::Item(i)) => Some(Deadline::Return(i.clone())),
                    (RuleId::IncidentClosedProperly, Subject::Incident(i)) => {
                        Some(Deadline::IncidentOpen(*i))
                    }
                    (RuleId::ConcernAnswered, Subject::Concern(c)) => {
                        Some(Deadline::ConcernDue(*c))
                    }
                    _ => None,
                };
                if let Some(d) = deadline {
                    self.clear_deadline(&d);
                }
            }
            EventBody::Refused { violations, .. } => {
                for v in violations {
                    *self.refusals.entry(v.rule).or_default() += 1;
                }
            }
        }
    }

    fn set_deadline(&mut self, d: Deadline, due: At) {
        self.clear_deadline(&d);
        self.deadlines.insert((due, d.clone()));
        self.deadline_at.insert(d, due);
    }

    fn clear_deadline(&mut self, d: &Deadline) {
        if let Some(due) = self.deadline_at.remove(d) {
            self.deadlines.remove(&(due, d.clone()));
        }
    }

    /// After a cut or at a break, an item a performer holds must come back to a handler.
    fn start_return_clock(&mut self, item: &ItemId, at: At) {
        let held_by_performer = self
            .items
            .get(item)
            .and_then(Item::holder)
            .is_some_and(|h| !self.is_handler(h));
        if held_by_performer
            && !self
                .deadline_at
                .contains_key(&Deadline::Return(item.clone()))
        {
            let due = at.plus_minutes(self.policy.return_minutes);
            self.set_deadline(Deadline::Return(item.clone()), due);
        }
    }
}

/// Marks the item's inspection as no longer counting, keeping the first reason it lapsed.
fn void(item: &mut Item, why: Lapse) {
    if let Some(insp) = item.inspection.as_mut()
        && insp.voided.is_none()
    {
        insp.voided = Some(why);
    }
}
