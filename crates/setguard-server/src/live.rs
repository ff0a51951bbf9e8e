//! The productions a server holds in memory: each one's state and head, loaded from the ledger
//! (snapshot plus tail) on first use and kept current by every command recorded through here.
//!
//! A command is judged on the production's state while its lock is held, the events are
//! appended to the ledger at the head that state reflects, and only once they are durable are
//! they applied. If another server appended first (PostgreSQL, several servers), the ledger
//! answers `Conflict`: the events recorded meanwhile are read and applied, and the command is
//! judged again on the state that won. A production's stream therefore never forks.

use crate::clock;
use setguard_core::{
    Command, Ctx, Event, Giver, Invalid, PersonId, ProductionId, State, Violation, judge, may_give,
    tick,
};
use setguard_ledger::snapshot;
use setguard_ledger::{Head, LedgerError, NodeKey, Store};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, broadcast};

/// How many times a command is judged again after losing a race to another server.
const RETRIES: usize = 8;

/// One production in memory.
#[derive(Debug)]
pub struct Live {
    pub state: State,
    /// The last record applied; the next append expects it.
    pub head: Head,
}

/// Something was recorded: open set boards redraw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub production: ProductionId,
    pub seq: u64,
}

/// What a command came to.
#[derive(Debug, Clone)]
pub struct Executed {
    /// Every event recorded, with its seq: alarms that time had raised first, then the
    /// command's own events (or its `refused` event).
    pub recorded: Vec<(u64, Event)>,
    /// The rules the command broke; empty when it was accepted.
    pub refused: Vec<Violation>,
}

/// Who gives a command through the server: the person their account is on this production (if
/// any) and whether the account administers the server. Checked against
/// `setguard_core::authority` on the state the command is judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub person: Option<PersonId>,
    pub administrator: bool,
}

/// Why a command or view could not be served.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("there is no production {0}")]
    NoProduction(ProductionId),
    /// The command is malformed or names what does not exist; nothing recorded.
    #[error("{}", .0.message)]
    Invalid(Invalid),
    /// This person may not give this command here; nothing recorded.
    #[error("{0}")]
    Forbidden(String),
    #[error("the ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("the production changed {RETRIES} times while the command was judged; try again")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

/// Every production this server has loaded, over one ledger.
#[derive(Debug)]
pub struct Productions {
    store: Arc<dyn Store>,
    key: Arc<NodeKey>,
    live: std::sync::Mutex<HashMap<ProductionId, Arc<Mutex<Live>>>>,
    changes: broadcast::Sender<Change>,
}

impl Productions {
    pub fn new(store: Arc<dyn Store>, key: NodeKey) -> Productions {
        let (changes, _) = broadcast::channel(1024);
        Productions {
            store,
            key: Arc::new(key),
            live: std::sync::Mutex::new(HashMap::new()),
            changes,
        }
    }

    /// A receiver of every change recorded through this server from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Tells this server's boards that `production` changed elsewhere (another server).
    pub fn announce(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    /// The production ids of the ledger.
    pub async fn ids(&self) -> Result<Vec<ProductionId>, LiveError> {
        let store = self.store.clone();
        blocking(move || store.streams()).await
    }

    /// The production, loaded on first use. `NoProduction` when the ledger has no events for
    /// it (a production exists once it is opened).
    async fn get(&self, id: &ProductionId) -> Result<Arc<Mutex<Live>>, LiveError> {
        if let Some(l) = self.cached(id) {
            return Ok(l);
        }
        let (store, key, stream) = (self.store.clone(), self.key.clone(), id.clone());
        let loaded = blocking(move || snapshot::load(store.as_ref(), &stream, &key)).await?;
        if loaded.head.seq == 0 {
            return Err(LiveError::NoProduction(id.clone()));
        }
        tracing::info!(
            production = %id,
            events = loaded.head.seq,
            from = ?loaded.from,
            replayed = loaded.replayed,
            "loaded production"
        );
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        // Two requests may have loaded it at once: the first one kept wins.
        Ok(map
            .entry(id.clone())
            .or_insert_with(|| {
                Arc::new(Mutex::new(Live {
                    state: loaded.state,
                    head: loaded.head,
                }))
            })
            .clone())
    }

    fn cached(&self, id: &ProductionId) -> Option<Arc<Mutex<Live>>> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Reads the production's state.
    pub async fn view<T>(
        &self,
        id: &ProductionId,
        f: impl FnOnce(&State, Head) -> T,
    ) -> Result<T, LiveError> {
        let live = self.get(id).await?;
        let g = live.lock().await;
        Ok(f(&g.state, g.head))
    }

    /// Opens a new production: the first event of its stream.
    pub async fn open(
        &self,
        id: &ProductionId,
        cmd: Command,
        now: setguard_core::At,
    ) -> Result<Executed, LiveError> {
        if !matches!(cmd, Command::OpenProduction { .. }) {
            return Err(LiveError::Internal("open takes open-production".to_owned()));
        }
        let live = {
            let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(id.clone())
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Live {
                        state: State::new(),
                        head: Head::EMPTY,
                    }))
                })
                .clone()
        };
        let mut g = live.lock().await;
        self.record(id, &mut g, None, &cmd, Some(now), None).await
    }

    /// Judges `cmd`, given through the server by `caller`, on the production as it stands now.
    /// Who may give it is checked on the same state the command is judged on, under its lock.
    pub async fn execute_as(
        &self,
        id: &ProductionId,
        caller: &Caller,
        cmd: &Command,
    ) -> Result<Executed, LiveError> {
        let live = self.get(id).await?;
        let mut g = live.lock().await;
        self.record(id, &mut g, caller.person.clone(), cmd, None, Some(caller))
            .await
    }

    /// Judges `cmd`, given by `by`, on the production as it stands now (its own clock), and
    /// records what it comes to.
    pub async fn execute(
        &self,
        id: &ProductionId,
        by: Option<PersonId>,
        cmd: &Command,
    ) -> Result<Executed, LiveError> {
        self.execute_at(id, by, cmd, None).await
    }

    /// [`Productions::execute`] at a given time instead of now (never before the record): the
    /// demo's day and tests, which must have happened before the server started. Requests
    /// from people always use `execute`.
    pub async fn execute_at(
        &self,
        id: &ProductionId,
        by: Option<PersonId>,
        cmd: &Command,
        at: Option<setguard_core::At>,
    ) -> Result<Executed, LiveError> {
        let live = self.get(id).await?;
        let mut g = live.lock().await;
        self.record(id, &mut g, by, cmd, at, None).await
    }

    /// Records the alarms that time has raised on `id` by now, if any.
    pub async fn tick(&self, id: &ProductionId) -> Result<usize, LiveError> {
        let live = self.get(id).await?;
        let mut g = live.lock().await;
        for _ in 0..RETRIES {
            let now = clock::now_for(&g.state);
            let alarms = tick(&g.state, now);
            if alarms.is_empty() {
                return Ok(0);
            }
            match self.append(id, &mut g, alarms).await? {
                Some(recorded) => return Ok(recorded.len()),
                None => continue,
            }
        }
        Err(LiveError::Busy)
    }

    async fn record(
        &self,
        id: &ProductionId,
        g: &mut Live,
        by: Option<PersonId>,
        cmd: &Command,
        at: Option<setguard_core::At>,
        caller: Option<&Caller>,
    ) -> Result<Executed, LiveError> {
        for _ in 0..RETRIES {
            if let Some(c) = caller {
                let giver = Giver {
                    person: c.person.as_ref().and_then(|p| g.state.person(p)),
                    administrator: c.administrator,
                };
                may_give(cmd, giver).map_err(|f| LiveError::Forbidden(f.0))?;
            }
            let now = at.unwrap_or_else(|| clock::now_for(&g.state));
            // Time's alarms first, as replay does before each step: a command is judged on
            // the state after them.
            let alarms = tick(&g.state, now);
            let ctx = Ctx {
                now,
                by: by.clone(),
            };
            let judged = if alarms.is_empty() {
                judge(&g.state, cmd, &ctx)
            } else {
                let mut after = g.state.clone();
                for a in &alarms {
                    after.apply(a);
                }
                judge(&after, cmd, &ctx)
            };
            let judgement = match judged {
                Ok(j) => j,
                Err(inv) => {
                    // Nothing of the command is recorded; the alarms are, by the ticker.
                    return Err(LiveError::Invalid(inv));
                }
            };
            let mut batch = alarms;
            batch.extend(judgement.events);
            if let Some(recorded) = self.append(id, g, batch).await? {
                return Ok(Executed {
                    recorded,
                    refused: judgement.refused,
                });
            }
        }
        Err(LiveError::Busy)
    }

    /// Appends `events` at the head `g` reflects and applies them once durable. `None` when
    /// another server got there first: `g` has then been brought up to date, to judge again.
    async fn append(
        &self,
        id: &ProductionId,
        g: &mut Live,
        events: Vec<Event>,
    ) -> Result<Option<Vec<(u64, Event)>>, LiveError> {
        let (store, stream, expected) = (self.store.clone(), id.clone(), g.head.seq);
        let batch = events.clone();
        let appended = blocking(move || match store.append(&stream, expected, &batch) {
            Ok(a) => Ok(Ok(a)),
            Err(LedgerError::Conflict { current_seq }) => Ok(Err(current_seq)),
            Err(e) => Err(e),
        })
        .await?;
        match appended {
            Ok(a) => {
                let mut recorded = Vec::with_capacity(events.len());
                for (i, ev) in events.into_iter().enumerate() {
                    g.state.apply(&ev);
                    recorded.push((a.first_seq + i as u64, ev));
                }
                g.head = Head {
                    seq: a.last_seq,
                    hash: a.head,
                };
                self.announce(Change {
                    production: id.clone(),
                    seq: a.last_seq,
                });
                Ok(Some(recorded))
            }
            Err(_) => {
                self.catch_up(id, g).await?;
                Ok(None)
            }
        }
    }

    /// Another server recorded `id` up to `seq`: if this server holds the production and is
    /// behind, it applies what it missed and tells its set boards.
    pub async fn follow(&self, id: &ProductionId, seq: u64) -> Result<(), LiveError> {
        let Some(live) = self.cached(id) else {
            // Not held here: it is loaded, current, when first asked for.
            return Ok(());
        };
        let mut g = live.lock().await;
        if g.head.seq >= seq {
            return Ok(());
        }
        self.catch_up(id, &mut g).await?;
        self.announce(Change {
            production: id.clone(),
            seq: g.head.seq,
        });
        Ok(())
    }

    /// Brings every production held here up to date (after missing announcements).
    pub async fn catch_up_all(&self) {
        let held: Vec<(ProductionId, Arc<Mutex<Live>>)> = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, live) in held {
            let mut g = live.lock().await;
            let before = g.head.seq;
            match self.catch_up(&id, &mut g).await {
                Ok(()) if g.head.seq > before => self.announce(Change {
                    production: id.clone(),
                    seq: g.head.seq,
                }),
                Ok(()) => {}
                Err(e) => tracing::warn!(production = %id, error = %e, "catching up"),
            }
        }
    }

    /// Every record of a production from `from` on, as the ledger holds it (for histories and
    /// reports; the live state is kept by [`Productions::view`]). 404 for a production this
    /// ledger does not hold.
    pub async fn records(
        &self,
        id: &ProductionId,
        from: u64,
    ) -> Result<Vec<setguard_ledger::Record>, LiveError> {
        let (store, stream) = (self.store.clone(), id.clone());
        let records = blocking(move || store.read(&stream, from)).await?;
        if records.is_empty() && from <= 1 {
            return Err(LiveError::NoProduction(id.clone()));
        }
        Ok(records)
    }

    /// Every signed checkpoint of a production, in seq order (for reports, which print the one
    /// they were made from).
    pub async fn checkpoints(
        &self,
        id: &ProductionId,
    ) -> Result<Vec<setguard_ledger::Checkpoint>, LiveError> {
        let (store, stream) = (self.store.clone(), id.clone());
        blocking(move || store.checkpoints(&stream)).await
    }

    /// Applies what other servers recorded after `g.head`.
    pub async fn catch_up(&self, id: &ProductionId, g: &mut Live) -> Result<(), LiveError> {
        let (store, stream, from) = (self.store.clone(), id.clone(), g.head.seq + 1);
        let tail = blocking(move || store.read(&stream, from)).await?;
        for r in tail {
            if r.seq != g.head.seq + 1 || r.prev_hash != g.head.hash {
                return Err(LiveError::Ledger(LedgerError::Corrupt {
                    seq: r.seq,
                    why: format!("it does not follow record {}", g.head.seq),
                }));
            }
            g.state.apply(&r.event);
            g.head = Head {
                seq: r.seq,
                hash: r.hash,
            };
        }
        Ok(())
    }
}

/// Runs blocking ledger work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, LiveError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LiveError::Internal(format!("a ledger task failed: {e}")))?
        .map_err(LiveError::from)
}
