//! Who may give a command through the server: the production office's work is done by the roles
//! whose job it is; everything done on set is open to anyone on the crew list, because there the
//! catalogue's own rules decide (`handler-hands-over`, `specialist-decides-training`,
//! `incident-closed-properly`, ...) and a refusal is recorded as evidence, exactly as in replay.
//!
//! Scenario files give office commands without an actor (the `[[person]]`, `[[item]]` tables);
//! the server must know who did it, so this table is the server's, and replay never consults it.
//! It never refuses a command that replay would accept from someone on the crew list: on set,
//! over-refusing a correct firearm day is a defect as serious as letting a bad one through.

use crate::command::Command;
use crate::model::Role;
use crate::state::Person;

/// Who may give a kind of command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Anyone on the crew list; the catalogue's rules judge the rest.
    Crew,
    /// The production office: only people holding one of these roles, or a server administrator
    /// (who sets a production up before anyone is on it).
    Office(&'static [Role]),
    /// Only a server administrator (opening a production).
    Administrator,
    /// Not through the server at all: time passes on its own there (the ticker).
    Nobody,
}

const PRODUCER: &[Role] = &[Role::Producer];
const PAPERWORK: &[Role] = &[Role::Producer, Role::SafetySupervisor];
const ARMORY: &[Role] = &[
    Role::Producer,
    Role::Armorer,
    Role::AssistantArmorer,
    Role::PropertyMaster,
];
const SCHEDULE: &[Role] = &[Role::Producer, Role::FirstAd];
const SAFETY_PLAN: &[Role] = &[
    Role::Producer,
    Role::FirstAd,
    Role::SafetySupervisor,
    Role::Armorer,
    Role::AssistantArmorer,
    Role::PropertyMaster,
];

/// Who may give `cmd`.
pub fn authority(cmd: &Command) -> Authority {
    use Command::*;
    match cmd {
        OpenProduction { .. } => Authority::Administrator,
        Advance => Authority::Nobody,
        RegisterPerson { .. }
        | AssignRole { .. }
        | NameComplianceContact { .. }
        | AssignDuty { .. } => Authority::Office(PRODUCER),
        GrantCredential { .. } => Authority::Office(PAPERWORK),
        RegisterItem(_) | RegisterLot(_) => Authority::Office(ARMORY),
        ScheduleScene(_) | ChangeScene { .. } | StartDay | Wrap => Authority::Office(SCHEDULE),
        LineOfFirePlan { .. } => Authority::Office(SAFETY_PLAN),
        // Everything given on set. `acknowledge-red-flag` is the producer's by the catalogue's
        // own rule, `approve-exception` the armorer's and the safety supervisor's: the core
        // refuses anyone else, on the record.
        _ => Authority::Crew,
    }
}

/// Who is asking: the person they are on this production (if any) and whether their account
/// administers the server.
#[derive(Debug, Clone, Copy)]
pub struct Giver<'a> {
    pub person: Option<&'a Person>,
    pub administrator: bool,
}

/// Why a command may not be given by this person; nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

/// Whether `giver` may give `cmd` through the server.
pub fn may_give(cmd: &Command, giver: Giver<'_>) -> Result<(), Forbidden> {
    let word = cmd.name();
    match authority(cmd) {
        Authority::Nobody => Err(Forbidden(format!(
            "`{word}` is not given through the server: time passes on its own here"
        ))),
        Authority::Administrator if giver.administrator => Ok(()),
        Authority::Administrator => Err(Forbidden(format!(
            "only a server administrator may `{word}`"
        ))),
        Authority::Crew => match giver.person {
            Some(_) => Ok(()),
            None => Err(Forbidden(format!(
                "`{word}` is given by someone on this production's crew list, and you are not on it"
            ))),
        },
        Authority::Office(roles) => {
            if giver.administrator
                || giver
                    .person
                    .is_some_and(|p| roles.iter().any(|r| p.has(*r)))
            {
                return Ok(());
            }
            let titles: Vec<&str> = roles.iter().map(|r| r.title()).collect();
            Err(Forbidden(format!(
                "`{word}` is the production office's: only the {} may give it",
                or_list(&titles)
            )))
        }
    }
}

/// "a", "a or b", "a, b or c".
fn or_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PersonId, PersonName};
    use std::collections::BTreeSet;

    fn person(roles: &[Role]) -> Person {
        Person {
            id: PersonId::parse("p").unwrap(),
            name: PersonName::parse("P").unwrap(),
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
            credentials: Vec::new(),
            prior_incidents: Vec::new(),
            red_flag_acknowledged: false,
            duties: Vec::new(),
        }
    }

    fn cmd(json: &str) -> Command {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_office_is_the_producer_s_and_the_set_is_the_crew_s() {
        let producer = person(&[Role::Producer]);
        let grip = person(&[Role::Crew]);
        let armorer = person(&[Role::Armorer]);
        let as_ = |p| Giver {
            person: Some(p),
            administrator: false,
        };
        let assign = cmd(r#"{"do":"assign-role","person":"x","role":"armorer"}"#);
        assert!(may_give(&assign, as_(&producer)).is_ok());
        let no = may_give(&assign, as_(&grip)).unwrap_err();
        assert!(no.0.contains("only the producer"), "{no}");
        let item = cmd(r#"{"do":"register-item","id":"g","kind":"rubber","class":"pistol"}"#);
        assert!(may_give(&item, as_(&armorer)).is_ok());
        assert!(may_give(&item, as_(&grip)).is_err());
        // On set, the catalogue decides: a grip's check-out is judged (and refused) by the core.
        let out = cmd(r#"{"do":"check-out","item":"g"}"#);
        assert!(may_give(&out, as_(&grip)).is_ok());
        // Not on the crew list: nothing on set.
        let stranger = Giver {
            person: None,
            administrator: false,
        };
        assert!(may_give(&out, stranger).is_err());
    }

    #[test]
    fn administrators_set_up_but_do_not_act_on_set() {
        let admin = Giver {
            person: None,
            administrator: true,
        };
        let open = cmd(r#"{"do":"open-production","id":"x","name":"X"}"#);
        assert!(may_give(&open, admin).is_ok());
        assert!(
            may_give(
                &cmd(r#"{"do":"register-person","id":"a","name":"A"}"#),
                admin
            )
            .is_ok()
        );
        assert!(may_give(&cmd(r#"{"do":"check-out","item":"g"}"#), admin).is_err());
        assert!(may_give(&cmd(r#"{"do":"advance"}"#), admin).is_err());
        let producer = person(&[Role::Producer]);
        let p = Giver {
            person: Some(&producer),
            administrator: false,
        };
        assert!(may_give(&open, p).is_err());
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(or_list(&["a"]), "a");
        assert_eq!(or_list(&["a", "b", "c"]), "a, b or c");
    }
}
