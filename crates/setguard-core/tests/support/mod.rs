//! A small set for rule tests: a production with an armorer, a first AD, a safety supervisor, a
//! producer, a trained performer, a revolver, a verified dummy lot and a blank lot, and one
//! firearm scene today. Commands are written as the API's JSON, which is short to read.

#![allow(dead_code)]

use setguard_core::*;

pub const DAY: &str = "2021-10-21";

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
        s.ok(
            None,
            r#"{"do":"name-compliance-contact","person":"safety"}"#,
        );
        s.ok(None, r#"{"do":"register-item","id":"colt","kind":"blank-adapted","class":"revolver","calibre":".45 Colt","serial":"R-0001"}"#);
        s.ok(None, r#"{"do":"register-item","id":"replica","kind":"non-firing","class":"revolver","serial":"NF-1"}"#);
        if policy != "no-live-fire" {
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
        s.ok(None, &format!(
            r#"{{"do":"schedule-scene","id":"church","date":"{DAY}","kind":"take","items":["colt"],"performers":["actor"],"roster":["actor","dp","first-ad"],"blank_rounds":2}}"#
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
