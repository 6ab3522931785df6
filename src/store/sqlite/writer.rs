//! The write pipeline of the SQLite backend: group commit, a pipelined WAL sync, checkpoints.
//!
//! - The **writer** thread owns the only writing connection. It opens a transaction for the
//!   first waiting write, runs every write that arrives in its own savepoint (a failing write
//!   rolls back to its savepoint and does not disturb its batch-mates), and commits the batch.
//! - The **syncer** thread makes a committed batch durable (`fdatasync` of the WAL) and only then
//!   answers its callers. While it syncs, the writer already runs the next batch, which it
//!   commits as soon as the sync is done: execution overlaps the disk flush, and the slower the
//!   disk, the larger the batches. One flush runs at a time, so callers are answered in commit
//!   order and never before their own data is on disk (measured on a 2-core VM: letting two to
//!   four flushes overlap was no faster).
//! - The **checkpointer** thread copies the WAL back into the database file off the writer's path.
//!
//! The writes of a batch log their changes into the batch's [`ChangeLog`], which is written
//! once, outside the savepoints, just before the batch commits.
//!
//! With [`Durability::Normal`] there is no syncer: callers are answered after the commit.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Durability;
use super::changes::ChangeLog;
use crate::store::StoreError;

/// How many writes at most share one commit.
const MAX_BATCH: usize = 512;

/// With no flush running, the writer keeps collecting while writes keep coming at least this
/// often...
const LINGER_GAP: Duration = Duration::from_micros(25);
/// ...but for no longer than this in total: a burst of clients shares one commit. While a flush
/// runs, writes collect anyway; lingering longer only adds latency (measured on a 2-core VM with
/// 32 clients: 0 or 50 µs of linger beat 200 µs by ~5% on one channel and on 100 channels; 1 ms
/// cost a third of the throughput).
const LINGER_MAX: Duration = Duration::from_micros(50);

/// The checkpointer copies the WAL back at most this often (and only after commits).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Answers one caller with the fate of its batch (`Err` when it did not become durable).
/// Why a batch failed, shared by every caller of the batch.
pub(super) type Failure = Arc<dyn std::error::Error + Send + Sync>;

pub(super) type Completion = Box<dyn FnOnce(Result<(), Failure>) + Send>;

/// One write: runs on the writer's connection inside a savepoint, logs its changes into the
/// batch's log, and reports whether it succeeded (a failure is rolled back and must leave the
/// log as it found it) and how to answer its caller.
pub(super) type Job = Box<dyn FnOnce(&Connection, &mut ChangeLog) -> (bool, Completion) + Send>;

/// What the writer thread receives.
pub(super) enum Msg {
    /// A write to run.
    Job(Job),
    /// The syncer finished the batch in flight.
    Synced,
    /// The store is closing.
    Stop,
}

/// Starts the writer, syncer and checkpointer threads for the database at `path`; `conn` is
/// the writing connection (migrated, in WAL mode, with `synchronous` as `durability` asks).
///
/// # Errors
/// When a thread cannot be started or a connection cannot be configured.
pub(super) fn start(
    path: &Path,
    conn: Connection,
    checkpoint_conn: Connection,
    durability: Durability,
) -> Result<mpsc::Sender<Msg>, StoreError> {
    let (tx, rx) = mpsc::channel();
    let syncer = match durability {
        Durability::Full => {
            // The commit itself does not flush; the syncer does, off the writer's thread.
            conn.execute_batch("pragma synchronous = normal")
                .map_err(StoreError::other)?;
            let (to_syncer, batches) = mpsc::channel();
            let wal = wal_path(path);
            let back = tx.clone();
            let thread = std::thread::Builder::new()
                .name("banter-sqlite-sync".into())
                .spawn(move || sync_loop(&wal, &batches, &back))
                .map_err(StoreError::other)?;
            Some((to_syncer, thread))
        }
        Durability::Normal => None,
    };
    let (committed, commits) = mpsc::sync_channel(1);
    let backfilled = Arc::new(AtomicBool::new(false));
    let checkpointer = Checkpointer {
        committed,
        backfilled: Arc::clone(&backfilled),
    };
    std::thread::Builder::new()
        .name("banter-sqlite-writer".into())
        .spawn(move || writer_loop(&conn, &rx, syncer, &checkpointer))
        .map_err(StoreError::other)?;
    std::thread::Builder::new()
        .name("banter-sqlite-checkpoint".into())
        .spawn(move || checkpoint_loop(&checkpoint_conn, &commits, &backfilled))
        .map_err(StoreError::other)?;
    Ok(tx)
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// A committed batch on its way to the syncer.
type Committed = Vec<Completion>;

/// The writer's side of the checkpointer.
struct Checkpointer {
    /// Signalled after every commit.
    committed: mpsc::SyncSender<()>,
    /// Set by the checkpointer when it has copied the bulk of the WAL.
    backfilled: Arc<AtomicBool>,
}

/// The batch being built: an open transaction, the callers waiting for it and the changes its
/// writes logged.
struct Batch<'c> {
    conn: &'c Connection,
    done: Vec<Completion>,
    changes: ChangeLog,
    open: bool,
    error: Option<Failure>,
}

impl<'c> Batch<'c> {
    fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            done: Vec::with_capacity(64),
            changes: ChangeLog::default(),
            open: false,
            error: None,
        }
    }

    fn run(&self, sql: &str) -> Result<(), Failure> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(drop)
            .map_err(|e| Arc::new(e) as Failure)
    }

    /// Runs `job` in its own savepoint. After a failure of the transaction itself, later jobs
    /// are dropped unrun: their callers see the channel close and report the store unavailable.
    fn add(&mut self, job: Job) {
        if self.error.is_some() {
            return;
        }
        if !self.open {
            if let Err(e) = self.run("begin immediate") {
                self.error = Some(e);
                return;
            }
            self.open = true;
        }
        let step = self.run("savepoint job").and_then(|()| {
            let (ok, completion) = job(self.conn, &mut self.changes);
            self.done.push(completion);
            if ok { Ok(()) } else { self.run("rollback to job") }
        });
        if let Err(e) = step.and_then(|()| self.run("release job")) {
            self.error = Some(e);
        }
    }

    fn len(&self) -> usize {
        self.done.len()
    }

    /// Writes the logged changes and commits; on failure rolls back and answers every caller
    /// with the error.
    fn commit(mut self) -> Result<Committed, ()> {
        let result = match self.error.take() {
            None => self
                .changes
                .write(self.conn)
                .map_err(|e| Arc::new(e) as Failure)
                .and_then(|()| self.run("commit")),
            Some(e) => Err(e),
        };
        match result {
            Ok(()) => Ok(self.done),
            Err(e) => {
                let _ = self.conn.execute_batch("rollback");
                for completion in self.done {
                    completion(Err(e.clone()));
                }
                Err(())
            }
        }
    }
}

/// The sync thread: where committed batches go, and its handle for the shutdown.
type Syncer = (mpsc::Sender<Committed>, std::thread::JoinHandle<()>);

fn writer_loop(conn: &Connection, rx: &mpsc::Receiver<Msg>, syncer: Option<Syncer>, checkpointer: &Checkpointer) {
    let mut in_flight = false;
    let mut stopping = false;
    while !stopping {
        let first = match rx.recv() {
            Ok(Msg::Job(job)) => job,
            Ok(Msg::Synced) => {
                in_flight = false;
                continue;
            }
            Ok(Msg::Stop) | Err(_) => break,
        };
        let mut batch = Batch::new(conn);
        batch.add(first);
        let deadline = Instant::now() + LINGER_MAX;
        // While a flush runs, every write that arrives joins the batch (past MAX_BATCH if need
        // be: the batch cannot commit before the flush ends); otherwise it lingers briefly.
        while in_flight || batch.len() < MAX_BATCH {
            let next = if in_flight {
                rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(deadline.saturating_duration_since(Instant::now()).min(LINGER_GAP))
            };
            match next {
                Ok(Msg::Job(job)) => batch.add(job),
                Ok(Msg::Synced) => {
                    in_flight = false;
                    // Take what is already queued, then commit at once.
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(Msg::Job(job)) => batch.add(job),
                            Ok(Msg::Synced) => {}
                            Ok(Msg::Stop) | Err(mpsc::TryRecvError::Disconnected) => {
                                stopping = true;
                                break;
                            }
                            Err(mpsc::TryRecvError::Empty) => break,
                        }
                    }
                    break;
                }
                Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    stopping = true;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
            }
        }
        let Ok(done) = batch.commit() else { continue };
        match &syncer {
            Some((to_syncer, _)) => match to_syncer.send(done) {
                Ok(()) => in_flight = true,
                Err(mpsc::SendError(done)) => {
                    for completion in done {
                        completion(Err(Failure::from(Box::<dyn std::error::Error + Send + Sync>::from(
                            "sync thread stopped",
                        ))));
                    }
                }
            },
            None => {
                for completion in done {
                    completion(Ok(()));
                }
            }
        }
        if checkpointer.backfilled.swap(false, Ordering::AcqRel) {
            // Only the frames committed since the checkpointer's pass are left: copying them
            // here is quick, and a complete checkpoint lets the next transaction restart the WAL
            // from its beginning (the checkpointer alone never completes one under steady load).
            let _ = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
        }
        let _ = checkpointer.committed.try_send(());
    }
    // The sync thread flushes what is queued, then ends; the connection closes after it.
    if let Some((to_syncer, thread)) = syncer {
        drop(to_syncer);
        let _ = thread.join();
    }
}

/// Flushes the WAL for each committed batch, answers its callers, and tells the writer. Ends
/// when the writer drops its end of the queue.
fn sync_loop(wal: &Path, batches: &mpsc::Receiver<Committed>, writer: &mpsc::Sender<Msg>) {
    let mut file: Option<File> = None;
    while let Ok(done) = batches.recv() {
        let result = sync(wal, &mut file);
        for completion in done {
            completion(result.clone());
        }
        let _ = writer.send(Msg::Synced);
    }
}

/// `fdatasync` of the WAL file (opened once; a flush through any descriptor covers the file).
fn sync(wal: &Path, file: &mut Option<File>) -> Result<(), Failure> {
    if file.is_none() {
        *file =
            Some(
                File::options().read(true).write(true).open(wal).map_err(|e| {
                    Arc::new(StoreError::other_while(format!("opening {}", wal.display()), e)) as Failure
                })?,
            );
    }
    let result = file.as_ref().map_or(Ok(()), File::sync_data);
    result.map_err(|e| {
        *file = None;
        Arc::new(StoreError::other_while("flushing the WAL", e)) as Failure
    })
}

/// Copies committed WAL frames into the database file (a passive checkpoint never blocks the
/// writer or readers), at most every [`CHECKPOINT_EVERY`] and only after commits, then asks the
/// writer to finish the job (see [`writer_loop`]), so the WAL stays small. Ends with the writer.
fn checkpoint_loop(conn: &Connection, commits: &mpsc::Receiver<()>, backfilled: &AtomicBool) {
    while commits.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        match conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(())) {
            Ok(()) => backfilled.store(true, Ordering::Release),
            Err(e) => tracing::warn!(error = %e, "sqlite checkpoint failed; retrying after the next commit"),
        }
    }
    let _ = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
}
