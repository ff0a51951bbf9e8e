//! The ticker: raises the alarms that passing time brings (an unattended item, an unreturned
//! gun, an unanswered concern, an incident left open) without waiting for someone to act.

use crate::live::Productions;
use std::sync::Arc;
use std::time::Duration;

/// Ticks every production the ledger holds, every `every`, until the server stops.
pub async fn run(productions: Arc<Productions>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tick_all(&productions).await;
    }
}

/// One round: every production's due alarms recorded. A failure is logged and retried on the
/// next round; it never stops the ticker.
pub async fn tick_all(productions: &Productions) {
    let ids = match productions.ids().await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "ticker: listing productions");
            return;
        }
    };
    for id in ids {
        match productions.tick(&id).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(production = %id, alarms = n, "ticker raised alarms"),
            Err(e) => tracing::warn!(production = %id, error = %e, "ticker"),
        }
    }
}
