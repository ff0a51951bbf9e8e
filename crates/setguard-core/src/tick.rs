//! `tick`: the alarms that passing time raises. (Being written.)

use crate::event::Event;
use crate::model::*;
use crate::state::State;

/// The alarms raised by deadlines that have passed by `now`, each once, in time order.
pub fn tick(_state: &State, _now: At) -> Vec<Event> {
    Vec::new()
}

/// Inspections that lapse by time between the last recorded moment and `now`, as
/// (item, sentence), for a timeline's notices. Lapses are not alarms.
pub fn lapsed_checks(_state: &State, _now: At) -> Vec<(ItemId, String)> {
    Vec::new()
}
