//! A command in a few words for the timeline: the `do` word and what it is about, e.g.
//! `hand-over colt -> actor` or `load colt 6 from dummies-old`.

use setguard_core::*;

fn list<T: std::fmt::Display>(xs: &[T]) -> String {
    xs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `ref_name` is the name the file used for the incident, concern or training the command names.
pub fn describe(cmd: &Command, ref_name: Option<&str>) -> String {
    use Command as C;
    let word = cmd.name();
    let r = ref_name.unwrap_or("?");
    let rest = match cmd {
        C::OpenProduction { id, policy, .. } => format!("{id} ({policy})"),
        C::RegisterPerson { id, .. } => id.to_string(),
        C::AssignRole { person, role } => format!("{person} {role}"),
        C::GrantCredential {
            person,
            kind,
            classes,
            expires,
        } => {
            let c = if classes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", list(classes))
            };
            format!("{person} {kind}{c} until {expires}")
        }
        C::AcknowledgeRedFlag { person, .. } => person.to_string(),
        C::NameComplianceContact { person } => person.to_string(),
        C::AssignDuty { person, duty } => format!("{person}: {duty}"),
        C::RegisterItem(s) => format!("{} ({} {})", s.id, s.kind, s.class),
        C::RegisterLot(s) => format!("{} ({} {} x{})", s.id, s.ammo, s.calibre, s.rounds),
        C::ScheduleScene(s) => format!("{} ({} {})", s.id, s.kind, s.date),
        C::ChangeScene { scene, .. } => scene.to_string(),
        C::VerifyLot {
            lot,
            counted,
            failed,
        } => {
            if failed.0 > 0 {
                format!("{lot} counted {counted}, {failed} failed")
            } else {
                format!("{lot} counted {counted}")
            }
        }
        C::PlanTraining { performer, class } | C::RecordTraining { performer, class } => {
            format!("{performer} {class}")
        }
        C::CancelTraining { .. } => r.to_owned(),
        C::ApproveException {
            kind, scene, lot, ..
        } => {
            let on = scene
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| lot.as_ref().map(ToString::to_string))
                .unwrap_or_default();
            format!("{kind} {on}").trim_end().to_owned()
        }
        C::LineOfFirePlan { scene, .. } => scene.to_string(),
        C::StartDay | C::Wrap | C::Resume | C::Advance => String::new(),
        C::SafetyMeeting { scenes, attendees } => {
            format!("{} ({} present)", list(scenes), attendees.len())
        }
        C::Brief { person, scene } => format!("{person} on {scene}"),
        C::CallScene { scene } | C::Cut { scene } => scene.to_string(),
        C::CheckOut { item }
        | C::Store { item }
        | C::Unload { item }
        | C::ConfirmCheck { item }
        | C::SecondCheck { item }
        | C::PickUp { item } => item.to_string(),
        C::Load { item, lot, rounds } => format!("{item} {rounds} from {lot}"),
        C::Inspect {
            item,
            state,
            rounds,
            lot,
        } => {
            let mut s = format!("{item}: {state}");
            if let Some(n) = rounds {
                s.push_str(&format!(" {n}"));
            }
            if let Some(l) = lot {
                s.push_str(&format!(" from {l}"));
            }
            s
        }
        C::HandOver { item, to, .. } => format!("{item} -> {to}"),
        C::SetDown { item, place } => {
            if place.is_empty() {
                item.to_string()
            } else {
                format!("{item} at {place}")
            }
        }
        C::Announce { item, status } => format!("{item} {status}"),
        C::Break { kind } => kind.clone(),
        C::Discharge {
            item,
            intended,
            rounds,
        } => {
            let how = if *intended { "" } else { " (not intended)" };
            format!("{item} x{rounds}{how}")
        }
        C::ReportIncident { kind, items, .. } => {
            if items.is_empty() {
                kind.to_string()
            } else {
                format!("{kind} ({})", list(items))
            }
        }
        C::CloseIncident { .. } | C::RespondConcern { .. } => r.to_owned(),
        C::RaiseConcern {
            urgent, anonymous, ..
        } => match (urgent, anonymous) {
            (true, true) => "urgent, anonymous".to_owned(),
            (true, false) => "urgent".to_owned(),
            (false, true) => "anonymous".to_owned(),
            (false, false) => String::new(),
        },
        C::Resign { .. } | C::StopWork { .. } | C::ResumeWork { .. } => String::new(),
        C::Walkout { people, .. } => list(people),
        C::Correct { event, .. } => format!("event {event}"),
    };
    if rest.is_empty() {
        word.to_owned()
    } else {
        format!("{word} {rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str) -> ItemId {
        ItemId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn hand_over_reads_as_an_arrow() {
        let cmd = Command::HandOver {
            item: item("colt"),
            to: PersonId::parse("actor").unwrap_or_else(|e| panic!("{e}")),
            scene: None,
        };
        assert_eq!(describe(&cmd, None), "hand-over colt -> actor");
    }

    #[test]
    fn refs_are_shown_by_the_name_the_file_gave() {
        let cmd = Command::CloseIncident {
            incident: IncidentId(1),
            root_cause: String::new(),
            corrective_action: String::new(),
        };
        assert_eq!(describe(&cmd, Some("misfire")), "close-incident misfire");
    }
}
