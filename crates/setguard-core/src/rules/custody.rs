//! Custody: every item is in storage, held by one named person, or set down by one.

use super::{RuleId, Violation};
use crate::model::*;
use crate::state::{Custody, Item, State};

/// Where the item is, in words.
pub fn whereabouts(state: &State, item: &Item) -> String {
    match &item.custody {
        Custody::InStorage => "in storage".to_owned(),
        Custody::Held { by, .. } => format!("with {}", state.name_of(by)),
        Custody::SetDown { by, place, since } => {
            let place = if place.is_empty() { "somewhere" } else { place };
            format!(
                "set down at {place} by {} at {}",
                state.name_of(by),
                since.clock()
            )
        }
    }
}

/// `custody-known`: only the item's holder passes it on, sets it down, loads, unloads, inspects
/// or stores it. Source: NSW armourer's register; Bulletin #1.
pub fn custody_known(
    state: &State,
    item: &Item,
    actor: &PersonId,
    verb: &str,
) -> Option<Violation> {
    if item.holder() == Some(actor) {
        return None;
    }
    Some(Violation::new(
        RuleId::CustodyKnown,
        format!(
            "{} can't {verb} the {}: it is {}. Only the person holding an item passes it on.",
            state.name_of(actor),
            item.label(),
            whereabouts(state, item)
        ),
    ))
}

/// `custody-known` at `check-out`: only an item in storage can be taken out of it.
pub fn in_storage(state: &State, item: &Item) -> Option<Violation> {
    if item.custody == Custody::InStorage {
        return None;
    }
    Some(Violation::new(
        RuleId::CustodyKnown,
        format!(
            "The {} is not in storage: it is {}.",
            item.label(),
            whereabouts(state, item)
        ),
    ))
}

/// `custody-known` at `pick-up`: only an item set down can be picked up.
pub fn set_down(state: &State, item: &Item) -> Option<Violation> {
    if matches!(item.custody, Custody::SetDown { .. }) {
        return None;
    }
    Some(Violation::new(
        RuleId::CustodyKnown,
        format!(
            "The {} is not set down anywhere: it is {}.",
            item.label(),
            whereabouts(state, item)
        ),
    ))
}

/// `handler-hands-over`: only a handler hands a firing item to a performer, picks one up, takes
/// it out of or into storage, loads, unloads or inspects it, or verifies a lot. Source: CA Labor
/// Code 9153(a)(2); on Rust the first AD took the revolver from the cart.
pub fn handler_hands_over(state: &State, actor: &PersonId, what: &str) -> Option<Violation> {
    if state.is_handler(actor) {
        return None;
    }
    Some(Violation::new(
        RuleId::HandlerHandsOver,
        format!(
            "{} is not the armorer: only the armorer, assistant armorer or property master may {what}.",
            state.name_of(actor)
        ),
    ))
}

/// `production-items-only`: an item that is not registered to the production.
pub fn unknown_item(id: &ItemId) -> Violation {
    Violation::new(
        RuleId::ProductionItemsOnly,
        format!(
            "\"{id}\" is not an item registered to this production: register it before it is used."
        ),
    )
}

/// `production-items-only`: a lot that is not registered to the production.
pub fn unknown_lot(id: &LotId) -> Violation {
    Violation::new(
        RuleId::ProductionItemsOnly,
        format!(
            "\"{id}\" is not an ammunition lot registered to this production: register and verify it first."
        ),
    )
}
