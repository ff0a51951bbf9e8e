//! Ammunition: no live rounds, every dummy and blank lot verified, blanks matched and loaded
//! only when called, every round accounted for at wrap.

use super::{RuleId, Violation};
use crate::command::LotSpec;
use crate::model::*;
use crate::state::{Item, Lot, State};

/// `no-live-ammo`: live ammunition is never registered; under `california` only with an approved
/// 9155 exception naming the place and the medic. Source: Bulletin #1; CA Labor Code 9155.
pub fn no_live_ammo(state: &State, spec: &LotSpec) -> Option<Violation> {
    if spec.ammo != AmmoKind::Live {
        return None;
    }
    if state.policy.california_rules && state.live_exceptions.contains_key(&spec.id) {
        return None;
    }
    let why = if state.policy.california_rules {
        "no Labor Code 9155 exception (naming the place and the medic) was approved for it"
    } else {
        "live ammunition never comes onto a set"
    };
    Some(Violation::new(
        RuleId::NoLiveAmmo,
        format!(
            "Lot {} is live ammunition and can't be registered: {why}.",
            spec.id
        ),
    ))
}

/// `lot-verified`: a dummy or blank lot is loaded only after the armorer verified it round by
/// round. Source: NM OHSB findings; the Rust "dummy" box held live rounds.
pub fn lot_verified(lot: &Lot, state: &State) -> Option<Violation> {
    if lot.spec.ammo == AmmoKind::Live && state.live_exceptions.contains_key(&lot.spec.id) {
        return None;
    }
    let why = if lot.condemned {
        format!(
            "Lot {} failed verification (a round was not inert) and is out of service for good.",
            lot.spec.id
        )
    } else if lot.verified {
        return None;
    } else if lot.needs_reverify {
        format!(
            "Lot {} must be verified again, round by round, since a live round was found on this production.",
            lot.spec.id
        )
    } else {
        let source = if lot.spec.source.is_empty() {
            String::new()
        } else {
            format!(" (source: {})", lot.spec.source)
        };
        format!(
            "Lot {}{source} has not been verified: the armorer must check every round and the count before any is loaded.",
            lot.spec.id
        )
    };
    Some(Violation::new(RuleId::LotVerified, why))
}

/// `lot-verified` at `verify-lot`: the count must match what the box should hold.
pub fn count_matches(lot: &Lot, counted: Rounds) -> Option<Violation> {
    let expected = lot.in_stock();
    if counted.0 == expected {
        return None;
    }
    Some(Violation::new(
        RuleId::LotVerified,
        format!(
            "Lot {} should hold {expected} rounds but {} were counted: count again, and report any missing round as an incident.",
            lot.spec.id, counted
        ),
    ))
}

/// `dummy-inert`: the alarm sentence when a "dummy" fails verification. Source: practice; Rust.
pub fn dummy_inert_alarm(lot: &Lot, failed: Rounds) -> String {
    format!(
        "{failed} round(s) in dummy lot {} are not inert: treat them as live. The lot is out of service and all firearm work stops.",
        lot.spec.id
    )
}

/// `blank-matched`: blanks go only into a blank-capable item of the same calibre. Source:
/// Bulletin #1; Ontario guideline 39.
pub fn blank_matched(item: &Item, lot: &Lot) -> Option<Violation> {
    if lot.spec.ammo != AmmoKind::Blank {
        return None;
    }
    if !item.spec.kind.takes_blanks() {
        return Some(Violation::new(
            RuleId::BlankMatched,
            format!(
                "The {} can't take blanks: it is {}.",
                item.label(),
                item.spec.kind.label()
            ),
        ));
    }
    match &item.spec.calibre {
        Some(c) if c.matches(&lot.spec.calibre) => None,
        Some(c) => Some(Violation::new(
            RuleId::BlankMatched,
            format!(
                "Lot {} holds {} blanks; the {} is {}.",
                lot.spec.id,
                lot.spec.calibre,
                item.label(),
                c
            ),
        )),
        None => Some(Violation::new(
            RuleId::BlankMatched,
            format!(
                "The {} has no calibre on record, so blanks can't be matched to it.",
                item.label()
            ),
        )),
    }
}

/// `load-when-called`: blanks are loaded only for a called scene that lists the item, and never
/// more rounds than it plans. Returns the scene the rounds are for. Source: Bulletin #1.
pub fn load_when_called(
    state: &State,
    item: &Item,
    lot: &Lot,
    rounds: Rounds,
) -> Result<Option<SceneId>, Violation> {
    let called = state
        .called
        .iter()
        .filter_map(|s| state.scenes.get(s))
        .find(|s| s.spec.items.contains(&item.spec.id));
    if lot.spec.ammo != AmmoKind::Blank {
        return Ok(called.map(|s| s.spec.id.clone()));
    }
    let Some(scene) = called else {
        return Err(Violation::new(
            RuleId::LoadWhenCalled,
            format!(
                "No scene using the {} has been called: blanks are loaded only when the scene is called.",
                item.label()
            ),
        ));
    };
    let planned = scene.spec.blank_rounds.0;
    let total = rounds.0 + item.loaded_rounds();
    if total > planned {
        return Err(Violation::new(
            RuleId::LoadWhenCalled,
            format!(
                "Scene {} plans {planned} blank(s); loading {rounds} would put {total} in the {}.",
                scene.spec.id,
                item.label()
            ),
        ));
    }
    Ok(Some(scene.spec.id.clone()))
}

/// `ammo-reconciled` at `load`: a lot can't issue more rounds than it holds.
pub fn enough_rounds(lot: &Lot, rounds: Rounds) -> Option<Violation> {
    if rounds.0 <= lot.in_stock() {
        return None;
    }
    Some(Violation::new(
        RuleId::AmmoReconciled,
        format!(
            "Lot {} has {} round(s) left in the box; {} can't be loaded from it.",
            lot.spec.id,
            lot.in_stock(),
            rounds
        ),
    ))
}

/// `ammo-reconciled` at `wrap`: issued = fired + returned. The alarm sentence, if not.
/// Source: Bulletin #1; NSW armourer's register.
pub fn ammo_reconciled(lot: &Lot) -> Option<String> {
    let out = lot.outstanding();
    if out == 0 {
        return None;
    }
    Some(format!(
        "Lot {}: {} issued, {} fired, {} returned: {} round(s) unaccounted for at wrap.",
        lot.spec.id, lot.issued, lot.fired, lot.returned, out
    ))
}
