//! A production's clock: the local wall-clock time on set, in the production's time zone.
//!
//! The record keeps local times (`At`), as crews read them; the server is wherever the studio
//! put it, so "now" is converted from UTC with the production's zone. It never goes back before
//! the last event recorded, so a server clock a little behind another cannot write the past.

use chrono::Utc;
use chrono_tz::Tz;
use setguard_core::{At, State};

/// Now, on the production's clock.
pub fn now_for(state: &State) -> At {
    let zone = state
        .production
        .as_ref()
        .map(|p| p.timezone.as_str())
        .unwrap_or("UTC");
    let now = local_now(zone);
    state.last_at.map_or(now, |last| last.max(now))
}

/// Now, as a wall clock in `zone` (an IANA name such as `America/Denver`) reads it; UTC when
/// the name is unknown.
pub fn local_now(zone: &str) -> At {
    let utc = Utc::now();
    let naive = match zone.parse::<Tz>() {
        Ok(tz) => utc.with_timezone(&tz).naive_local(),
        Err(_) => utc.naive_utc(),
    };
    At::from_naive(naive)
}

/// Whether `zone` is a time zone this server knows.
pub fn is_zone(zone: &str) -> bool {
    zone.parse::<Tz>().is_ok()
}
