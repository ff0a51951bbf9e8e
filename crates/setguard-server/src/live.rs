//! The productions a server holds in memory: each one's state and head, loaded from the ledger
//! (snapshot plus tail) on first use and kept current by every command recorded through here.
//!
//! A command is judged on the production's state while its lock is held, and its events are
//! submitted to the ledger expecting the head that state reflects. Where the ledger pipelines
//! (SQLite), the events are applied at once and the lock released before they are durable: the
//! next command is judged on the state after them and queued behind them, so one production's
//! commands share fsyncs instead of taking turns at them. Nobody is answered, and nothing is
//! shown, before it is durable: a command's caller waits for its own commit, a view waits for
//! every commit of the state it reads, and set boards are told only of durable records; an
//! answer that records nothing (a refusal of authority, an invalid command) also waits for the
//! events it was judged after. If a commit fails, everything queued on top of it is refused by
//! the ledger and the production is dropped from memory, to be loaded again from what the ledger
//! holds. The commands refused for being queued on it are judged again; those in the failed
//! commit itself (a full disk fails every append of the batch) answer with the ledger's error.
//!
//! Where the ledger commits on submission (PostgreSQL, several servers), another server may
//! have appended first: the ledger answers `Conflict`, the events recorded meanwhile are read
//! and applied, and the command is judged again on the state that won. A production's stream
//! therefore never forks.

use crate::clock;
use setguard_core::{
    At, Command, Ctx, Event, Giver, Invalid, PersonId, ProductionId, State, Violation, judge,
    may_give, tick,
};
use setguard_ledger::snapshot;
use setguard_ledger::{Appended, Head, LedgerError, NodeKey, PendingAppend, Store};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{RwLock, broadcast, watch};

/// Records read at a time by the reads that filter a long production.
const PAGE: usize = 4096;

/// How many times a command is judged again after losing a race to another server, or after a
/// commit it was queued behind failed.
const RETRIES: usize = 8;

/// One production in memory.
#[derive(Debug)]
pub struct Live {
    /// The state after every event submitted, durable or on its way.
    pub state: State,
    /// The last record submitted; the next append expects it.
    pub head: Head,
}

/// A production held by this server: its state behind a lock, and how far the ledger has made
/// it durable, which is written by commits without taking the lock.
#[derive(Debug)]
struct Held {
    /// Read by any number of views at once; written by one command (or catch-up) at a time.
    live: RwLock<Live>,
    durable: watch::Sender<Durable>,
}

#[derive(Debug, Clone, Copy)]
struct Durable {
    /// The last record known to be durable.
    head: Head,
    /// A commit failed: the state in memory holds events that are not recorded, and is
    /// loaded again from the ledger.
    failed: bool,
}

impl Held {
    fn new(state: State, head: Head) -> Arc<Held> {
        let (durable, _) = watch::channel(Durable {
            head,
            failed: false,
        });
        Arc::new(Held {
            live: RwLock::new(Live { state, head }),
            durable,
        })
    }

    fn failed(&self) -> bool {
        self.durable.borrow().failed
    }

    /// Marks the state in memory as not the ledger's: it is loaded again before anyone uses it.
    fn fail(&self) {
        self.durable.send_modify(|d| d.failed = true);
    }

    /// Whether everything up to `seq` is durable now, without waiting.
    fn is_durable_to(&self, seq: u64) -> bool {
        let d = self.durable.borrow();
        !d.failed && d.head.seq >= seq
    }

    /// Records that the ledger holds everything up to `head`.
    fn made_durable(&self, head: Head) {
        self.durable.send_if_modified(|d| {
            let later = head.seq > d.head.seq;
            if later {
                d.head = head;
            }
            later
        });
    }

    /// Waits until every record up to `seq` is durable. `false` if a commit failed first.
    async fn durable_to(&self, seq: u64) -> bool {
        let mut rx = self.durable.subscribe();
        match rx.wait_for(|d| d.failed || d.head.seq >= seq).await {
            Ok(d) => !d.failed,
            // The sender lives as long as `self`.
            Err(_) => false,
        }
    }
}

/// Marks a production failed when dropped armed: on every way out of applying or settling
/// events that is not their success (an error, a panic, a task cancelled at shutdown), so that
/// no one waits for a durable head that will never come, or reads a state half applied.
struct FailUnlessDone(Option<Arc<Held>>);

impl FailUnlessDone {
    fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for FailUnlessDone {
    fn drop(&mut self) {
        if let Some(held) = self.0.take() {
            held.fail();
        }
    }
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

/// What is to be recorded on a production's state, decided under its lock.
type Decide<'a, T> = dyn FnMut(&State) -> Result<Option<(Vec<Event>, T)>, LiveError> + Send + 'a;

/// Every production this server has loaded, over one ledger.
#[derive(Debug)]
pub struct Productions {
    store: Arc<dyn Store>,
    key: Arc<NodeKey>,
    live: std::sync::Mutex<HashMap<ProductionId, Arc<Held>>>,
    /// Counts the productions dropped from memory: a load that started before one was dropped
    /// may have read a ledger older than what was acknowledged since, and is done again.
    forgotten: std::sync::atomic::AtomicU64,
    changes: broadcast::Sender<Change>,
}

impl Productions {
    pub fn new(store: Arc<dyn Store>, key: NodeKey) -> Productions {
        let (changes, _) = broadcast::channel(1024);
        Productions {
            store,
            key: Arc::new(key),
            live: std::sync::Mutex::new(HashMap::new()),
            forgotten: std::sync::atomic::AtomicU64::new(0),
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
    async fn get(&self, id: &ProductionId) -> Result<Arc<Held>, LiveError> {
        use std::sync::atomic::Ordering;
        for _ in 0..RETRIES {
            if let Some(l) = self.cached(id) {
                return Ok(l);
            }
            let forgotten = self.forgotten.load(Ordering::SeqCst);
            let (store, key, stream) = (self.store.clone(), self.key.clone(), id.clone());
            let loaded = blocking(move || snapshot::load(store.as_ref(), &stream, &key)).await?;
            if loaded.head.seq == 0 {
                return Err(LiveError::NoProduction(id.clone()));
            }
            let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
            // Two requests may have loaded it at once: the first one kept wins.
            if let Some(l) = map.get(id) {
                return Ok(l.clone());
            }
            if self.forgotten.load(Ordering::SeqCst) != forgotten {
                continue;
            }
            tracing::info!(
                production = %id,
                events = loaded.head.seq,
                from = ?loaded.from,
                replayed = loaded.replayed,
                "loaded production"
            );
            let held = Held::new(loaded.state, loaded.head);
            map.insert(id.clone(), held.clone());
            return Ok(held);
        }
        Err(LiveError::Busy)
    }

    fn cached(&self, id: &ProductionId) -> Option<Arc<Held>> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Drops `held` from memory after a failed commit, so that the production is loaded
    /// again from the ledger (unless it has been already).
    fn forget(&self, id: &ProductionId, held: &Arc<Held>) {
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(id).is_some_and(|h| Arc::ptr_eq(h, held)) {
            map.remove(id);
            self.forgotten
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tracing::warn!(production = %id, "a commit failed: the production is loaded again");
        }
    }

    /// Reads the production's state, once everything it shows is durable.
    pub async fn view<T>(
        &self,
        id: &ProductionId,
        f: impl FnOnce(&State, Head) -> T,
    ) -> Result<T, LiveError> {
        for _ in 0..RETRIES {
            let held = self.get(id).await?;
            let g = held.live.read().await;
            if held.is_durable_to(g.head.seq) {
                return Ok(f(&g.state, g.head));
            }
            // Commits are under way: wait for them without holding commands back, then look
            // again. If more were queued meanwhile, wait holding the lock, for at most those.
            let seq = g.head.seq;
            drop(g);
            if held.durable_to(seq).await {
                let g = held.live.read().await;
                if held.durable_to(g.head.seq).await {
                    return Ok(f(&g.state, g.head));
                }
            }
            self.forget(id, &held);
        }
        Err(LiveError::Busy)
    }

    /// Opens a new production: the first event of its stream.
    pub async fn open(
        &self,
        id: &ProductionId,
        cmd: Command,
        now: At,
    ) -> Result<Executed, LiveError> {
        if !matches!(cmd, Command::OpenProduction { .. }) {
            return Err(LiveError::Internal("open takes open-production".to_owned()));
        }
        // Only a production the ledger does not hold starts empty in memory: one that exists
        // is loaded, and the open is judged (and refused) on it.
        match self.get(id).await {
            Ok(_) => {}
            Err(LiveError::NoProduction(_)) => {
                self.live
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(id.clone())
                    .or_insert_with(|| Held::new(State::new(), Head::EMPTY));
            }
            Err(e) => return Err(e),
        }
        let opened = self.record(id, None, &cmd, Some(now), None).await;
        if !matches!(&opened, Ok(e) if e.refused.is_empty()) {
            // A failed open leaves no empty production behind to be shown.
            if let Some(held) = self.cached(id) {
                if held.live.read().await.head.seq == 0 {
                    self.forget(id, &held);
                }
            }
        }
        opened
    }

    /// Judges `cmd`, given through the server by `caller`, on the production as it stands now.
    /// Who may give it is checked on the same state the command is judged on, under its lock.
    pub async fn execute_as(
        &self,
        id: &ProductionId,
        caller: &Caller,
        cmd: &Command,
    ) -> Result<Executed, LiveError> {
        self.record(id, caller.person.clone(), cmd, None, Some(caller))
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
        at: Option<At>,
    ) -> Result<Executed, LiveError> {
        self.record(id, by, cmd, at, None).await
    }

    /// Records what `decide` makes of the production's state in ONE append, or nothing: the
    /// import page's whole file is judged under the production's lock and committed as one,
    /// judged again on the state that won if another server got there first. `decide` checks
    /// who may give each command itself (`LiveError::Forbidden`); `Ok(None)` from it records
    /// nothing (a file with problems, or nothing to import).
    pub async fn record_all<T>(
        &self,
        id: &ProductionId,
        mut decide: impl FnMut(&State) -> Result<Option<(Vec<Event>, T)>, LiveError> + Send,
    ) -> Result<Option<(Vec<(u64, Event)>, T)>, LiveError> {
        self.commit(id, &mut decide).await
    }

    /// Records the alarms that time has raised on `id` by now, if any.
    pub async fn tick(&self, id: &ProductionId) -> Result<usize, LiveError> {
        let recorded = self
            .commit(id, &mut |state: &State| {
                let alarms = tick(state, clock::now_for(state));
                Ok((!alarms.is_empty()).then_some((alarms, ())))
            })
            .await?;
        Ok(recorded.map_or(0, |(r, ())| r.len()))
    }

    async fn record(
        &self,
        id: &ProductionId,
        by: Option<PersonId>,
        cmd: &Command,
        at: Option<At>,
        caller: Option<&Caller>,
    ) -> Result<Executed, LiveError> {
        let mut decide = |state: &State| {
            if let Some(c) = caller {
                let giver = Giver {
                    person: c.person.as_ref().and_then(|p| state.person(p)),
                    administrator: c.administrator,
                };
                may_give(cmd, giver).map_err(|f| LiveError::Forbidden(f.0))?;
            }
            let now = at.unwrap_or_else(|| clock::now_for(state));
            // Time's alarms first, as replay does before each step: a command is judged on
            // the state after them.
            let alarms = tick(state, now);
            let ctx = Ctx {
                now,
                by: by.clone(),
            };
            let judged = if alarms.is_empty() {
                judge(state, cmd, &ctx)
            } else {
                let mut after = state.clone();
                for a in &alarms {
                    after.apply(a);
                }
                judge(&after, cmd, &ctx)
            };
            // Invalid: nothing of the command is recorded; the alarms are, by the ticker.
            let judgement = judged.map_err(LiveError::Invalid)?;
            let mut batch = alarms;
            batch.extend(judgement.events);
            Ok(Some((batch, judgement.refused)))
        };
        let (recorded, refused) = self
            .commit(id, &mut decide)
            .await?
            .ok_or_else(|| LiveError::Internal("a command recorded nothing".to_owned()))?;
        Ok(Executed { recorded, refused })
    }

    /// Decides on the production's state under its lock, submits what was decided, and
    /// answers once it is durable; judged again (on the state that won) when another server
    /// got there first or a commit it was queued behind failed. `None` when nothing was to be
    /// recorded.
    async fn commit<T>(
        &self,
        id: &ProductionId,
        decide: &mut Decide<'_, T>,
    ) -> Result<Option<(Vec<(u64, Event)>, T)>, LiveError> {
        for _ in 0..RETRIES {
            let held = self.get(id).await?;
            let mut g = held.live.write().await;
            if held.failed() {
                drop(g);
                self.forget(id, &held);
                continue;
            }
            let decided = decide(&g.state);
            // An answer that records nothing (a refusal of authority, an invalid command,
            // nothing to import) is given only on what is durable: on the state after queued
            // events whose commit then failed, it would be an answer the ledger never backs.
            if !matches!(decided, Ok(Some(_))) && !held.durable_to(g.head.seq).await {
                drop(g);
                self.forget(id, &held);
                continue;
            }
            let Some((events, out)) = decided? else {
                return Ok(None);
            };
            let pending = match self.submit(id, g.head, &events).await {
                Ok(p) => p,
                Err(LiveError::Ledger(LedgerError::Conflict { .. })) => {
                    // Another server recorded first: judge again on what it recorded.
                    match self.catch_up_held(id, &held, &mut g).await {
                        Err(LiveError::Ledger(LedgerError::Conflict { .. })) => {
                            drop(g);
                            self.forget(id, &held);
                        }
                        other => other?,
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let appended = pending.appended();
            // Waited for from now on, whatever becomes of this task.
            let settling = self.settle(id, &held, pending);
            let applying = FailUnlessDone(Some(held.clone()));
            let mut recorded = Vec::with_capacity(events.len());
            for (seq, ev) in (appended.first_seq..).zip(events) {
                g.state.apply(&ev);
                recorded.push((seq, ev));
            }
            g.head = head_of(appended);
            applying.done();
            drop(g);
            let settled = settling
                .await
                .map_err(|e| LiveError::Internal(format!("a ledger task failed: {e}")))
                .and_then(|r| r.map_err(LiveError::from));
            match settled {
                Ok(()) => return Ok(Some((recorded, out))),
                Err(LiveError::Ledger(LedgerError::Conflict { .. })) => {
                    // Queued behind a commit that failed (or another writer of the same file):
                    // judged again on the production as the ledger holds it.
                    self.forget(id, &held);
                    continue;
                }
                Err(e) => {
                    self.forget(id, &held);
                    return Err(e);
                }
            }
        }
        Err(LiveError::Busy)
    }

    /// Submits `events` to the ledger after `expected`: only queued where the ledger
    /// pipelines, committed (off the async threads) where it does not.
    async fn submit(
        &self,
        id: &ProductionId,
        expected: Head,
        events: &[Event],
    ) -> Result<PendingAppend, LiveError> {
        if self.store.pipelines() {
            return Ok(self.store.submit(id, expected, events)?);
        }
        let (store, stream, batch) = (self.store.clone(), id.clone(), events.to_vec());
        blocking(move || store.submit(&stream, expected, &batch)).await
    }

    /// Waits for a submitted append on a blocking thread, started at once: what it leads to
    /// (the durable head and the boards told, or the production marked failed) happens there,
    /// so a caller who stops waiting changes nothing of it.
    fn settle(
        &self,
        id: &ProductionId,
        held: &Arc<Held>,
        pending: PendingAppend,
    ) -> tokio::task::JoinHandle<Result<(), LedgerError>> {
        let (held, changes, production) = (held.clone(), self.changes.clone(), id.clone());
        let unsettled = FailUnlessDone(Some(held.clone()));
        tokio::task::spawn_blocking(move || {
            let a = pending.wait()?;
            held.made_durable(head_of(a));
            unsettled.done();
            let _ = changes.send(Change {
                production,
                seq: a.last_seq,
            });
            Ok(())
        })
    }

    /// Another server recorded `id` up to `seq`: if this server holds the production and is
    /// behind, it applies what it missed and tells its set boards.
    pub async fn follow(&self, id: &ProductionId, seq: u64) -> Result<(), LiveError> {
        let Some(held) = self.cached(id) else {
            // Not held here: it is loaded, current, when first asked for.
            return Ok(());
        };
        let mut g = held.live.write().await;
        if g.head.seq >= seq {
            return Ok(());
        }
        self.catch_up_held(id, &held, &mut g).await?;
        self.announce(Change {
            production: id.clone(),
            seq: g.head.seq,
        });
        Ok(())
    }

    /// Brings every production held here up to date (after missing announcements).
    pub async fn catch_up_all(&self) {
        let held: Vec<(ProductionId, Arc<Held>)> = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, held) in held {
            let mut g = held.live.write().await;
            let before = g.head.seq;
            match self.catch_up_held(&id, &held, &mut g).await {
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

    /// The records of a production that `keep` keeps, in seq order, read a page at a time: an
    /// item's history on a long production never holds the whole record in memory. 404 for a
    /// production this ledger does not hold.
    pub async fn records_where(
        &self,
        id: &ProductionId,
        keep: impl Fn(&setguard_ledger::Record) -> bool + Send + 'static,
    ) -> Result<Vec<setguard_ledger::Record>, LiveError> {
        let (store, stream) = (self.store.clone(), id.clone());
        let (kept, any) = blocking(move || {
            let (mut kept, mut from, mut any) = (Vec::new(), 1, false);
            loop {
                let page = store.read_page(&stream, from, PAGE)?;
                let full = page.len() == PAGE;
                any |= !page.is_empty();
                if let Some(last) = page.last() {
                    from = last.seq + 1;
                }
                kept.extend(page.into_iter().filter(|r| keep(r)));
                if !full {
                    return Ok((kept, any));
                }
            }
        })
        .await?;
        if !any {
            return Err(LiveError::NoProduction(id.clone()));
        }
        Ok(kept)
    }

    /// The records of a production from the first one on `day` or later (its charts of the
    /// last days), found by bisection: a record's time never goes back along its stream (the
    /// core refuses a command before the record's last time). 404 for a production this ledger
    /// does not hold.
    pub async fn records_since(
        &self,
        id: &ProductionId,
        day: chrono::NaiveDate,
    ) -> Result<Vec<setguard_ledger::Record>, LiveError> {
        let (store, stream) = (self.store.clone(), id.clone());
        let records = blocking(move || {
            let head = store.head(&stream)?;
            let (mut lo, mut hi) = (1, head.seq + 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let before = store
                    .read_page(&stream, mid, 1)?
                    .first()
                    .is_some_and(|r| r.event.at.date() < day);
                if before {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            if head.seq == 0 {
                return Ok(None);
            }
            store.read(&stream, lo).map(Some)
        })
        .await?;
        records.ok_or_else(|| LiveError::NoProduction(id.clone()))
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

    /// Applies what other servers recorded after `g.head`, once this server's own appends
    /// under way are durable (what the ledger holds beyond them is someone else's).
    async fn catch_up_held(
        &self,
        id: &ProductionId,
        held: &Held,
        g: &mut Live,
    ) -> Result<(), LiveError> {
        if !held.durable_to(g.head.seq).await {
            return Err(LiveError::Ledger(LedgerError::Conflict {
                current_seq: g.head.seq,
            }));
        }
        let (store, stream, from) = (self.store.clone(), id.clone(), g.head.seq + 1);
        let tail = blocking(move || store.read(&stream, from)).await?;
        let mut outcome = Ok(());
        for r in tail {
            if r.seq != g.head.seq + 1 || r.prev_hash != g.head.hash {
                outcome = Err(LiveError::Ledger(LedgerError::Corrupt {
                    seq: r.seq,
                    why: format!("it does not follow record {}", g.head.seq),
                }));
                break;
            }
            g.state.apply(&r.event);
            g.head = Head {
                seq: r.seq,
                hash: r.hash,
            };
        }
        // What was applied is the ledger's, durable, even when a later record is refused.
        held.made_durable(g.head);
        outcome
    }
}

fn head_of(a: Appended) -> Head {
    Head {
        seq: a.last_seq,
        hash: a.head,
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
