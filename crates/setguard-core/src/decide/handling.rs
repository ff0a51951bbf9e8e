//! Handling an item: out of storage, loaded, inspected in the performer's sight, confirmed,
//! second-checked, announced, handed over, set down, picked up, returned and stored.

use super::{D, InvalidKind, Rejection, invalid};
use crate::command::Command;
use crate::event::{Event, EventBody, LotRounds};
use crate::model::*;
use crate::rules::{ammunition, checks, custody, incidents, people};
use crate::state::{Item, Scene};

pub(super) fn decide(d: &mut D, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    let actor = d.actor()?;
    let now = d.now;
    match cmd {
        Command::CheckOut { item } => {
            let it = d.item(item)?;
            d.check(custody::in_storage(d.s, it));
            if it.is_firing() {
                let p = d.person(&actor)?;
                d.check(custody::handler_hands_over(
                    d.s,
                    &actor,
                    "take a firing item out of storage",
                ));
                d.check(people::handler_qualified_for_item(d.s, p, it, now.date()));
                d.check(people::enough_handlers(d.s, it));
                d.check(incidents::live_round_stops_all(d.s, "check-out"));
            }
            d.check(people::compliance_contact(d.s));
            d.check(incidents::item_quarantined(it));
            d.check(incidents::stop_work(d.s, "check-out"));
            Ok(vec![d.ev(EventBody::CheckedOut { item: item.clone() })])
        }
        Command::Store { item } => {
            let it = d.item(item)?;
            d.check(custody::custody_known(d.s, it, &actor, "store"));
            if it.is_firing() {
                d.check(custody::handler_hands_over(
                    d.s,
                    &actor,
                    "put a firing item into storage",
                ));
            }
            Ok(vec![d.ev(EventBody::Stored { item: item.clone() })])
        }
        Command::Load { item, lot, rounds } => {
            let it = d.item(item)?;
            let l = d.lot(lot)?;
            if !it.is_firing() && l.spec.ammo != AmmoKind::Blank {
                return Err(invalid(
                    InvalidKind::BadRequest,
                    format!("the {} can't be loaded: it does not fire", it.label()),
                ));
            }
            if rounds.0 == 0 {
                return Err(invalid(
                    InvalidKind::BadRequest,
                    "`rounds` must be at least 1",
                ));
            }
            d.check(custody::custody_known(d.s, it, &actor, "load"));
            d.check(custody::handler_hands_over(
                d.s,
                &actor,
                "load a firing item",
            ));
            d.check(incidents::item_quarantined(it));
            d.check(incidents::lot_quarantined(l));
            d.check(incidents::live_round_stops_all(d.s, "loading"));
            d.check(incidents::stop_work(d.s, "loading"));
            d.check(ammunition::lot_verified(l, d.s));
            d.check(ammunition::blank_matched(it, l));
            let scene = match ammunition::load_when_called(d.s, it, l, *rounds) {
                Ok(s) => s,
                Err(v) => {
                    d.check(Some(v));
                    None
                }
            };
            d.check(ammunition::enough_rounds(l, *rounds));
            Ok(vec![d.ev(EventBody::Loaded {
                item: item.clone(),
                lot: lot.clone(),
                rounds: *rounds,
                scene,
            })])
        }
        Command::Unload { item } => {
            let it = d.item(item)?;
            d.check(custody::custody_known(d.s, it, &actor, "unload"));
            if it.is_firing() {
                d.check(custody::handler_hands_over(
                    d.s,
                    &actor,
                    "unload a firing item",
                ));
            }
            let returned = it
                .loaded
                .iter()
                .map(|(lot, rounds)| LotRounds {
                    lot: lot.clone(),
                    rounds: *rounds,
                })
                .collect();
            Ok(vec![d.ev(EventBody::Unloaded {
                item: item.clone(),
                returned,
            })])
        }
        Command::Inspect {
            item,
            state,
            rounds,
            lot,
        } => inspect(d, &actor, item, *state, *rounds, lot.as_ref()),
        Command::ConfirmCheck { item } => {
            let it = d.item(item)?;
            match checks::current_inspection(d.s, it, now) {
                Ok(_) => {}
                Err(why) => d.all(checks::no_current_check(
                    d.s,
                    it,
                    &why,
                    "anyone confirms it",
                )),
            }
            Ok(vec![d.ev(EventBody::CheckConfirmed { item: item.clone() })])
        }
        Command::SecondCheck { item } => {
            let it = d.item(item)?;
            d.check(checks::second_checker(d.s, &actor));
            if let Err(why) = checks::current_inspection(d.s, it, now) {
                d.all(checks::no_current_check(d.s, it, &why, "the second check"));
            }
            Ok(vec![d.ev(EventBody::SecondChecked { item: item.clone() })])
        }
        Command::HandOver { item, to, scene } => hand_over(d, &actor, item, to, scene.as_ref()),
        Command::SetDown { item, place } => {
            let it = d.item(item)?;
            d.check(custody::custody_known(d.s, it, &actor, "set down"));
            Ok(vec![d.ev(EventBody::SetDown {
                item: item.clone(),
                place: place.clone(),
            })])
        }
        Command::PickUp { item } => {
            let it = d.item(item)?;
            d.check(custody::set_down(d.s, it));
            if it.is_firing() {
                d.check(custody::handler_hands_over(
                    d.s,
                    &actor,
                    "pick up a firing item",
                ));
            }
            Ok(vec![d.ev(EventBody::PickedUp { item: item.clone() })])
        }
        Command::Announce { item, status } => {
            let it = d.item(item)?;
            if *status == Status::Cold {
                d.all(checks::cold_is_verified(d.s, it, now));
            }
            Ok(vec![d.ev(EventBody::Announced {
                item: item.clone(),
                status: *status,
            })])
        }
        _ => Ok(Vec::new()),
    }
}

/// `inspect`: the handler checks the item in the performer's sight; the check must agree with
/// the record, and dummies must come from a verified lot.
fn inspect(
    d: &mut D,
    actor: &PersonId,
    item: &ItemId,
    state: InspectState,
    rounds: Option<Rounds>,
    lot: Option<&LotId>,
) -> Result<Vec<Event>, Rejection> {
    let it = d.item(item)?;
    if let Some(l) = lot {
        d.lot(l)?;
    }
    d.check(custody::custody_known(d.s, it, actor, "inspect"));
    if it.is_firing() {
        d.check(custody::handler_hands_over(
            d.s,
            actor,
            "inspect a firing item",
        ));
    }
    d.check(incidents::item_quarantined(it));
    d.check(checks::inspection_matches_record(
        d.s, it, state, rounds, lot,
    ));
    let lot = lot
        .cloned()
        .or_else(|| it.loaded.first().map(|(l, _)| l.clone()));
    if state != InspectState::Empty {
        // Every lot with rounds in the item, not only the one named: a round from a lot that was
        // condemned after loading is still in the cylinder.
        let named = lot.as_ref().and_then(|l| d.s.lots.get(l));
        let loaded = it.loaded.iter().filter_map(|(l, _)| d.s.lots.get(l));
        for l in named.into_iter().chain(loaded) {
            d.check(ammunition::lot_verified(l, d.s));
        }
    }
    let rounds = rounds.unwrap_or(Rounds(it.loaded_rounds()));
    Ok(vec![d.ev(EventBody::Inspected {
        item: item.clone(),
        state,
        rounds,
        lot,
    })])
}

/// The scene a hand-over is for: the one named, else a called scene listing the item and the
/// performer, else a scene scheduled today listing both.
fn scene_for<'a>(
    d: &D<'a>,
    item: &ItemId,
    to: &PersonId,
    named: Option<&SceneId>,
) -> Result<Option<&'a Scene>, Rejection> {
    if let Some(id) = named {
        return d.scene(id).map(Some);
    }
    let today = d.s.shooting_day(d.now);
    let lists = |s: &&Scene| s.spec.items.contains(item) && s.spec.performers.contains(to);
    let is_today = |s: &&Scene| s.spec.date == today;
    let called = || {
        d.s.called
            .iter()
            .filter_map(|id| d.s.scenes.get(id))
            .filter(lists)
    };
    // A called scene of today first (one called yesterday and never cut does not count as
    // today's), then any scene of today, then any called scene (which `scene-planned` refuses).
    Ok(called()
        .find(is_today)
        .or_else(|| d.s.scenes.values().filter(is_today).find(lists))
        .or_else(|| called().next()))
}

/// `hand-over`: back to a handler is always allowed to the holder (a quarantined item included);
/// a firing item to a performer must pass every check of the safe hand-over.
fn hand_over(
    d: &mut D,
    actor: &PersonId,
    item: &ItemId,
    to: &PersonId,
    scene: Option<&SceneId>,
) -> Result<Vec<Event>, Rejection> {
    let it = d.item(item)?;
    d.person(to)?;
    if to == actor {
        return Err(invalid(
            InvalidKind::BadRequest,
            "an item can't be handed over to the person holding it",
        ));
    }
    d.check(custody::custody_known(d.s, it, actor, "hand over"));
    let scene = scene_for(d, item, to, scene)?;
    let to_performer = !d.s.is_handler(to);
    if to_performer {
        // Any item, replicas included: a stop is a stop, and quarantine holds what it holds.
        d.check(incidents::stop_work(d.s, "hand-over to a performer"));
        d.check(incidents::item_quarantined(it));
    }
    if to_performer && it.is_firing() {
        to_performer_checks(d, actor, it, to, scene);
    }
    // Only a firing item's hand-over counts as the scene's first of the day (`second-check`).
    let scene = if to_performer && it.is_firing() {
        scene.map(|s| s.spec.id.clone())
    } else {
        None
    };
    Ok(vec![d.ev(EventBody::HandedOver {
        item: item.clone(),
        to: to.clone(),
        scene,
    })])
}

/// The checks of the safe hand-over of a firing item to a performer (`SCENARIOS.md`, "The safe
/// hand-over, in order").
fn to_performer_checks(
    d: &mut D,
    actor: &PersonId,
    it: &Item,
    to: &PersonId,
    scene: Option<&Scene>,
) {
    let now = d.now;
    d.check(custody::handler_hands_over(
        d.s,
        actor,
        "hand a firing item to a performer",
    ));
    d.check(incidents::live_round_stops_all(
        d.s,
        "hand-over to a performer",
    ));
    d.check(checks::scene_planned(d.s, it, to, scene, now));
    d.check(people::performer_trained(d.s, to, it, now.date()));
    match checks::current_inspection(d.s, it, now) {
        Ok(insp) => {
            d.check(checks::performer_confirmed(d.s, it, insp, to));
            if let Some(s) = scene {
                d.check(checks::second_check(d.s, it, insp, &s.spec.id, now));
            }
        }
        Err(why) => d.all(checks::no_current_check(d.s, it, &why, "the hand-over")),
    }
    d.check(checks::hot_announced(d.s, it));
    if let Some(s) = scene {
        d.check(checks::meeting_first(d.s, s, to, now));
        d.check(checks::replica_rehearsal(it, s));
    }
}
