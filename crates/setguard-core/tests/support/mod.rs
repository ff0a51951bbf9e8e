//! A small set for rule tests: a production with an armorer, a first AD, a safety supervisor, a
//! producer, a trained performer, a revolver, a verified dummy lot and a blank lot, and one
//! firearm scene today. Commands are written as the API's JSON, which is short to read.

#![allow(dead_code, unused_imports)]

pub use setguard_core::*;

pub const DAY: &str = "2021-10-21";
/// The day after [`DAY`].
pub const NEXT_DAY: &str = "2021-10-22";

pub struct Set {
    pub state: State,
    pub now: At,
    pub log: Vec<Event>,
}

pub fn cmd(json: &str) -> Command {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad test command {json}: {e}"))
}

impl Set {
    /// An empty production under `policy`.
    pub fn empty(policy: &str) -> Set {
        let mut s = Set {
            state: State::new(),
            now: At::parse(&format!("{DAY}T07:00")).unwrap(),
            log: Vec::new(),
        };
        s.ok(
            None,
            &format!(r#"{{"do":"open-production","id":"rust","name":"Rust","policy":"{policy}","timezone":"America/Denver"}}"#),
        );
        s
    }

    /// The standard set described at the top of this file.
    pub fn standard() -> Set {
        Set::with_policy("standard")
    }

    pub fn with_policy(policy: &str) -> Set {
        Set::build(policy, true)
    }

    /// The standard set under `policy`, with or without a named compliance contact. Under
    /// `no-live-fire` the colt and the lots are left out (the policy refuses them) and the
    /// church scene uses the replica.
    pub fn build(policy: &str, compliance_contact: bool) -> Set {
        let no_live_fire = policy == "no-live-fire";
        let mut s = Set::empty(policy);
        for (id, name, roles) in [
            ("armorer", "A. Armorer", &["armorer"][..]),
            ("first-ad", "F. AD", &["first-ad"][..]),
            ("safety", "S. Supervisor", &["safety-supervisor"][..]),
            ("producer", "P. Producer", &["producer"][..]),
            ("actor", "A. Actor", &["performer"][..]),
            ("dp", "D. Photography", &["crew"][..]),
        ] {
            s.ok(
                None,
                &format!(r#"{{"do":"register-person","id":"{id}","name":"{name}"}}"#),
            );
            if id == "armorer" {
                s.ok(None, r#"{"do":"grant-credential","person":"armorer","kind":"handler","classes":["revolver"],"expires":"2030-01-01"}"#);
                s.ok(None, r#"{"do":"grant-credential","person":"armorer","kind":"csatf-s","expires":"2030-01-01"}"#);
            } else {
                s.ok(None, &format!(r#"{{"do":"grant-credential","person":"{id}","kind":"csatf-s2","expires":"2030-01-01"}}"#));
            }
            for r in roles {
                s.ok(
                    None,
                    &format!(r#"{{"do":"assign-role","person":"{id}","role":"{r}"}}"#),
                );
            }
        }
        if compliance_contact {
            s.ok(
                None,
                r#"{"do":"name-compliance-contact","person":"safety"}"#,
            );
        }
        if !no_live_fire {
            s.ok(None, r#"{"do":"register-item","id":"colt","kind":"blank-adapted","class":"revolver","calibre":".45 Colt","serial":"R-0001"}"#);
        }
        s.ok(None, r#"{"do":"register-item","id":"replica","kind":"non-firing","class":"revolver","serial":"NF-1"}"#);
        if !no_live_fire {
            s.ok(None, r#"{"do":"register-lot","id":"dummies","ammo":"dummy","calibre":".45 Colt","rounds":50,"source":"Acme dummies"}"#);
            s.ok(None, r#"{"do":"register-lot","id":"blanks","ammo":"blank","calibre":".45 Colt","rounds":20,"source":"Acme blanks"}"#);
            s.ok(
                Some("armorer"),
                r#"{"do":"verify-lot","lot":"dummies","counted":50}"#,
            );
            s.ok(
                Some("armorer"),
                r#"{"do":"verify-lot","lot":"blanks","counted":20}"#,
            );
        }
        let item = if no_live_fire { "replica" } else { "colt" };
        s.ok(None, &format!(
            r#"{{"do":"schedule-scene","id":"church","date":"{DAY}","kind":"take","items":["{item}"],"performers":["actor"],"roster":["actor","dp","first-ad"],"blank_rounds":2}}"#
        ));
        s.ok(
            Some("armorer"),
            r#"{"do":"record-training","performer":"actor","class":"revolver"}"#,
        );
        s
    }

    /// Moves the clock to `hh:mm` today, applying the alarms that time raises; returns them.
    pub fn at(&mut self, hhmm: &str) -> Vec<RuleId> {
        self.now = At::parse(&format!("{DAY}T{hhmm}")).unwrap();
        let alarms = tick(&self.state, self.now);
        for e in &alarms {
            self.state.apply(e);
            self.log.push(e.clone());
        }
        alarms.iter().filter_map(Event::alarm).collect()
    }

    pub fn run(&mut self, by: Option<&str>, json: &str) -> Result<Vec<Event>, Rejection> {
        let c = cmd(json);
        let ctx = Ctx {
            now: self.now,
            by: by.map(|b| PersonId::parse(b).unwrap()),
        };
        let r = decide(&self.state, &c, &ctx);
        if let Ok(events) = &r {
            for e in events {
                self.state.apply(e);
                self.log.push(e.clone());
            }
        }
        r
    }

    /// Runs a command that must be recorded; returns the alarms it raised.
    pub fn ok(&mut self, by: Option<&str>, json: &str) -> Vec<RuleId> {
        match self.run(by, json) {
            Ok(events) => events.iter().filter_map(Event::alarm).collect(),
            Err(e) => panic!("expected {json} by {by:?} to be recorded, got {e:?}"),
        }
    }

    /// Runs a command that must be refused under `rule`; returns every rule listed.
    pub fn refused(&mut self, by: Option<&str>, json: &str, rule: &str) -> Vec<RuleId> {
        let rule: RuleId = rule.parse().unwrap();
        match self.run(by, json) {
            Err(Rejection::Refused(vs)) => {
                let ids: Vec<RuleId> = vs.iter().map(|v| v.rule).collect();
                assert!(ids.contains(&rule), "expected {rule} among {vs:#?}");
                for v in &vs {
                    assert!(!v.message.is_empty());
                }
                ids
            }
            other => panic!("expected {json} by {by:?} refused under {rule}, got {other:?}"),
        }
    }

    /// The safe hand-over of the colt (dummies) to the actor for the church scene, up to the
    /// hand-over itself.
    pub fn ready_colt_with_dummies(&mut self) {
        self.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","dp","first-ad","armorer"]}"#);
        self.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
        self.ok(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
        self.ok(
            Some("armorer"),
            r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
        );
        self.ok(
            Some("armorer"),
            r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
        );
        self.ok(Some("actor"), r#"{"do":"confirm-check","item":"colt"}"#);
        self.ok(Some("first-ad"), r#"{"do":"second-check","item":"colt"}"#);
        self.ok(
            Some("armorer"),
            r#"{"do":"announce","item":"colt","status":"cold"}"#,
        );
    }
}

/// Helpers for the rule tests (`rules_*.rs`).
impl Set {
    /// Moves the clock to `hh:mm` on `date` (`YYYY-MM-DD`), applying the alarms that time
    /// raises; returns them.
    pub fn at_on(&mut self, date: &str, hhmm: &str) -> Vec<RuleId> {
        self.now = At::parse(&format!("{date}T{hhmm}")).unwrap();
        let alarms = tick(&self.state, self.now);
        for e in &alarms {
            self.state.apply(e);
            self.log.push(e.clone());
        }
        alarms.iter().filter_map(Event::alarm).collect()
    }

    /// Runs a command that must be recorded with no alarm at all.
    pub fn clean(&mut self, by: Option<&str>, json: &str) {
        let alarms = self.ok(by, json);
        assert!(
            alarms.is_empty(),
            "expected {json} by {by:?} to raise no alarm, got {alarms:?}"
        );
    }

    /// Runs a command that must be refused under `rule`; returns every violation listed.
    pub fn refusal(&mut self, by: Option<&str>, json: &str, rule: &str) -> Vec<Violation> {
        let id: RuleId = rule.parse().unwrap();
        let before = self.log.len();
        match self.run(by, json) {
            Err(Rejection::Refused(vs)) => {
                assert!(
                    vs.iter().any(|v| v.rule == id),
                    "expected {json} by {by:?} refused under {rule}, got {vs:#?}"
                );
                assert_eq!(self.log.len(), before, "a refused command records nothing");
                vs
            }
            other => panic!("expected {json} by {by:?} refused under {rule}, got {other:?}"),
        }
    }

    /// Runs a command that must be refused under exactly these rules (in any order).
    pub fn refused_only(&mut self, by: Option<&str>, json: &str, rules: &[&str]) -> Vec<Violation> {
        let vs = self.refusal(by, json, rules[0]);
        let mut got: Vec<&str> = vs.iter().map(|v| v.rule.as_str()).collect();
        let mut want = rules.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{json} by {by:?}: {vs:#?}");
        vs
    }

    /// The message a refusal gives for `rule`.
    pub fn message_of(vs: &[Violation], rule: &str) -> String {
        let id: RuleId = rule.parse().unwrap();
        vs.iter()
            .find(|v| v.rule == id)
            .map(|v| v.message.clone())
            .unwrap_or_else(|| panic!("no {rule} among {vs:#?}"))
    }

    /// Registers a person with the given roles and a current `csatf-s2`.
    pub fn person(&mut self, id: &str, name: &str, roles: &[&str]) {
        self.ok(
            None,
            &format!(r#"{{"do":"register-person","id":"{id}","name":"{name}"}}"#),
        );
        self.ok(None, &format!(r#"{{"do":"grant-credential","person":"{id}","kind":"csatf-s2","expires":"2030-01-01"}}"#));
        for r in roles {
            self.ok(
                None,
                &format!(r#"{{"do":"assign-role","person":"{id}","role":"{r}"}}"#),
            );
        }
    }

    /// Registers a qualified handler (current `handler` for every class and `csatf-s`).
    pub fn handler(&mut self, id: &str, name: &str, role: &str) {
        self.ok(
            None,
            &format!(r#"{{"do":"register-person","id":"{id}","name":"{name}"}}"#),
        );
        self.ok(None, &format!(r#"{{"do":"grant-credential","person":"{id}","kind":"handler","expires":"2030-01-01"}}"#));
        self.ok(None, &format!(r#"{{"do":"grant-credential","person":"{id}","kind":"csatf-s","expires":"2030-01-01"}}"#));
        self.ok(
            None,
            &format!(r#"{{"do":"assign-role","person":"{id}","role":"{role}"}}"#),
        );
    }

    /// Registers another firing item like the colt.
    pub fn revolver(&mut self, id: &str, serial: &str) {
        self.ok(None, &format!(r#"{{"do":"register-item","id":"{id}","kind":"blank-adapted","class":"revolver","calibre":".45 Colt","serial":"{serial}"}}"#));
    }

    /// The safety meeting for the church scene with its whole roster and the armorer.
    pub fn meeting(&mut self) {
        self.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","dp","first-ad","armorer"]}"#);
    }

    /// The armorer takes the colt out of storage.
    pub fn colt_out(&mut self) {
        self.ok(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    }

    /// The armorer inspects the colt as holding 6 dummies, in `performer`'s sight, and they
    /// confirm it.
    pub fn inspect_dummies_for(&mut self, performer: &str) {
        self.ok(
            Some("armorer"),
            r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
        );
        self.ok(Some(performer), r#"{"do":"confirm-check","item":"colt"}"#);
    }

    /// The safe hand-over of the colt loaded with the 2 blanks the church scene plans, up to the
    /// hand-over itself: meeting, call, check-out, load, inspection, confirmation, second check,
    /// announced hot.
    pub fn ready_colt_with_blanks(&mut self) {
        self.meeting();
        self.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
        self.colt_out();
        self.ok(
            Some("armorer"),
            r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
        );
        self.ok(
            Some("armorer"),
            r#"{"do":"inspect","item":"colt","state":"blanks","rounds":2,"lot":"blanks"}"#,
        );
        self.ok(Some("actor"), r#"{"do":"confirm-check","item":"colt"}"#);
        self.ok(Some("first-ad"), r#"{"do":"second-check","item":"colt"}"#);
        self.ok(
            Some("armorer"),
            r#"{"do":"announce","item":"colt","status":"hot"}"#,
        );
    }

    /// Like [`Set::ready_colt_with_dummies`] for another performer, who must already be on the
    /// church scene: the meeting covers them too.
    pub fn ready_colt_for(&mut self, performer: &str) {
        self.ok(Some("first-ad"), &format!(r#"{{"do":"safety-meeting","scenes":["church"],"attendees":["actor","dp","first-ad","armorer","{performer}"]}}"#));
        self.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
        self.colt_out();
        self.ok(
            Some("armorer"),
            r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
        );
        self.inspect_dummies_for(performer);
        self.ok(Some("first-ad"), r#"{"do":"second-check","item":"colt"}"#);
        self.ok(
            Some("armorer"),
            r#"{"do":"announce","item":"colt","status":"cold"}"#,
        );
    }

    /// The colt handed to the actor, everything in order, loaded with dummies.
    pub fn colt_with_actor(&mut self) {
        self.ready_colt_with_dummies();
        self.clean(
            Some("armorer"),
            r#"{"do":"hand-over","item":"colt","to":"actor"}"#,
        );
    }

    /// Incidents on record, by kind word.
    pub fn incidents_of(&self, kind: &str) -> usize {
        self.state
            .incidents
            .values()
            .filter(|i| i.kind.as_str() == kind)
            .count()
    }

    /// The message of the last alarm recorded.
    pub fn last_alarm_message(&self) -> String {
        self.log
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::AlarmRaised { message, .. } => Some(message.clone()),
                _ => None,
            })
            .expect("an alarm was raised")
    }
}

/// A hand-over of `item` to `to`.
pub fn hand(item: &str, to: &str) -> String {
    format!(r#"{{"do":"hand-over","item":"{item}","to":"{to}"}}"#)
}
