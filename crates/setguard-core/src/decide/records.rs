//! Corrections (PROTOCOLS.md `append-only`): nothing recorded is edited or deleted; a mistake is
//! answered by a new event that names the one it corrects.

use super::{D, invalid};
use crate::decide::{InvalidKind, Rejection};
use crate::event::{Event, EventBody};

/// A correction names an event already on record and says what was wrong with it. It changes
/// no custody or check: what it corrects stands in the record, and anything that must change on
/// set is done by the ordinary command (a re-inspection, a return) under the rules.
pub(super) fn correct(d: &D<'_>, event: u64, reason: &str) -> Result<Vec<Event>, Rejection> {
    if event == 0 || event > d.s.events {
        return Err(invalid(
            InvalidKind::NotFound,
            format!(
                "event {event} is not on record: this production's record holds events 1 to {}",
                d.s.events
            ),
        ));
    }
    if reason.trim().is_empty() {
        return Err(invalid(
            InvalidKind::BadRequest,
            "`reason` is empty: say what was wrong with the event and what is right",
        ));
    }
    Ok(vec![d.ev(EventBody::Corrected {
        event,
        reason: reason.to_owned(),
    })])
}
